"""Claude Code is found however it was installed, and what it resolves to is mounted."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment
from kanibako_targets.claude import ClaudeTarget


def executable(path: Path, text: str = "#!/bin/sh\necho claude\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_npm_install_resolves_through_the_symlink_chain(tmp_path: Path, home: Path) -> None:
    prefix = tmp_path / "npm-prefix"
    package = prefix / "lib/node_modules/@anthropic-ai/claude-code"
    native = executable(package / "bin/claude.exe")
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin/claude").symlink_to(
        "../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
    )
    target = ClaudeTarget(HostEnvironment(home=home, path=str(prefix / "bin")))
    install = target.detect()
    assert install is not None
    assert (install.binary, install.found_via, install.command) == (native, "npm", "claude")
    [mount] = target.binary_mounts(install)
    assert (mount.source, mount.target, mount.read_only) == (native, "/usr/local/bin/claude", True)


def test_native_installer_is_found_even_when_its_bin_dir_is_not_on_path(home: Path) -> None:
    version = executable(home / ".local/share/claude/versions/2.1.197")
    (home / ".local/bin").mkdir(parents=True)
    (home / ".local/bin/claude").symlink_to(version)
    install = ClaudeTarget(HostEnvironment(home=home, path="")).detect()
    assert install is not None
    assert (install.binary, install.found_via) == (version, "native installer")


def test_any_claude_on_path_is_used_first_in_path_order(tmp_path: Path, home: Path) -> None:
    first = executable(tmp_path / "a/claude")
    executable(tmp_path / "b/claude")
    host = HostEnvironment(
        home=home, path=os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])
    )
    install = ClaudeTarget(host).detect()
    assert install is not None
    assert (install.binary, install.found_via) == (first, "PATH")


def test_dangling_links_and_non_executables_are_skipped(tmp_path: Path, home: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/claude").symlink_to(tmp_path / "gone")
    (tmp_path / "b").mkdir()
    (tmp_path / "b/claude").write_text("not executable")
    good = executable(tmp_path / "c/claude")
    dirs = [str(tmp_path / d) for d in "abc"]
    install = ClaudeTarget(HostEnvironment(home=home, path=os.pathsep.join(dirs))).detect()
    assert install is not None
    assert install.binary == good


def test_nothing_installed_means_not_detected(tmp_path: Path, home: Path) -> None:
    assert ClaudeTarget(HostEnvironment(home=home, path=str(tmp_path))).detect() is None


def _as_unprivileged(check: Callable[[], object]) -> str:
    """``repr`` of ``check()`` (or of what it raised) as a user without root's powers.

    Root may search any directory, so under root the check runs in a forked
    child that drops to ``nobody`` first (the code is already imported there).
    """
    if os.geteuid() != 0:
        try:
            return repr(check())
        except Exception as exc:  # reported, then asserted on
            return f"raised {exc!r}"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                answer = repr(check())
            except Exception as exc:
                answer = f"raised {exc!r}"
            os.write(write_end, answer.encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert status == 0, "the unprivileged child failed"
    return answer


def test_path_entries_this_user_cannot_search_are_skipped() -> None:
    # Not under tmp_path: pytest's base directory is private to root.
    base = Path(tempfile.mkdtemp(prefix="kanibako-detect-"))
    try:
        base.chmod(0o755)
        locked = base / "locked"  # like /root/bin in the PATH `su` keeps
        locked.mkdir(mode=0o700)
        executable(locked / "claude")
        if os.geteuid() != 0:
            locked.chmod(0o000)
        good = executable(base / "bin/claude")
        (base / "bin").chmod(0o755)
        host = HostEnvironment(home=locked, path=os.pathsep.join([str(locked), str(base / "bin")]))
        found = _as_unprivileged(lambda: ClaudeTarget(host).detect())
        assert "raised" not in found
        assert f"binary={good!r}" in found
        only_locked = HostEnvironment(home=locked, path=str(locked))
        assert _as_unprivileged(lambda: ClaudeTarget(only_locked).detect()) == "None"
    finally:
        (base / "locked").chmod(0o700)
        shutil.rmtree(base)


def npm_install(prefix: Path) -> Path:
    """What ``npm install -g --prefix PREFIX @anthropic-ai/claude-code`` leaves."""
    native = executable(prefix / "lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe")
    (prefix / "bin").mkdir(parents=True, exist_ok=True)
    (prefix / "bin/claude").symlink_to(
        "../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
    )
    return native


def test_npms_prefix_is_searched_even_when_its_bin_is_not_on_path(
    tmp_path: Path, home: Path
) -> None:
    native = npm_install(tmp_path / "npm-global")
    host = HostEnvironment(home=home, path="", npm_prefix=tmp_path / "npm-global")
    install = ClaudeTarget(host).detect()
    assert install is not None and (install.binary, install.found_via) == (native, "npm")


@pytest.mark.parametrize("source", ["variable", "npmrc", "node"])
def test_the_npm_prefix_comes_from_the_given_environment_only(
    tmp_path: Path, home: Path, source: str
) -> None:
    prefix = tmp_path / "prefix"
    native = npm_install(prefix)
    env = {"HOME": str(home), "PATH": ""}
    if source == "variable":
        env["NPM_CONFIG_PREFIX"] = str(prefix)
    elif source == "npmrc":
        (home / ".npmrc").write_text(f"registry=https://example.invalid/\nprefix = {prefix}\n")
    else:  # npm's default: beside the node binary on PATH
        executable(prefix / "bin/node")
        env["PATH"] = str(prefix / "bin")
    host = HostEnvironment.current(env)
    assert host.npm_prefix == prefix
    install = ClaudeTarget(host).detect()
    assert install is not None and install.binary == native
    # The same machine, described without any of it: no agent.
    bare = HostEnvironment.current({"HOME": str(tmp_path / "elsewhere"), "PATH": ""})
    assert bare.npm_prefix is None and ClaudeTarget(bare).detect() is None
