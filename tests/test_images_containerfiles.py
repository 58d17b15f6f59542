"""A linter for the bundled Containerfiles: the rules every kanibako image keeps.

- kanibako-base builds FROM ``${DEBIAN_IMAGE}`` and every layer FROM
  ``${BASE_IMAGE}``, each an ARG with a registry default, so a local image can
  stand in (the no-registry route depends on it);
- each ends as user ``agent`` in ``/home/agent/workspace``; the base creates
  that user with that home and the bash config sourcing ``~/.shell.d``;
- no agent binary is installed (agents are mounted from the host);
- apt installs are ``-y --no-install-recommends`` with ``apt-get update`` in
  the same RUN and the package lists removed in it (no stale lists, no bloat).

The integration tests at the end use the real kanibako-base (built with no
registry): apt is asked whether every Debian package the layers name exists in
bookworm and installs together, and the first stage of a layer (up to its
Debian package install) is really built where CI's time allows. The vendor
downloads after it (rustup, Kotlin, Gradle, the Android SDK, .NET) need the
internet, which CI has not got; the release workflow builds them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kanibako.images.recipes import BASE_NAME, containers_dir, load_recipes
from tests.image_builds import ensure_test_base

CONTAINERS = containers_dir()
FILES = sorted(CONTAINERS.glob("*/Containerfile"))
AGENT_BINARIES = re.compile(
    r"claude|anthropic|@openai/codex|\bcodex\b|\baider\b|\bgoose\b", re.IGNORECASE
)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, f"{path}: ends inside a continued line"
    found = []
    for line in logical:
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def _id(path: Path) -> str:
    return path.parent.name


def test_every_image_of_the_manifest_has_its_containerfile() -> None:
    assert {p.parent.name for p in FILES} == set(load_recipes().recipes)


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_from_is_the_build_argument_with_a_registry_default(path: Path) -> None:
    steps = instructions(path)
    arg = "DEBIAN_IMAGE" if path.parent.name == BASE_NAME else "BASE_IMAGE"
    froms = [rest for word, rest in steps if word == "FROM"]
    assert froms == [f"${{{arg}}}"], "one stage, FROM the build argument"
    before = steps[: [w for w, _ in steps].index("FROM")]
    defaults = [rest for word, rest in before if word == "ARG" and rest.startswith(f"{arg}=")]
    assert len(defaults) == 1 and "/" in defaults[0], f"ARG {arg}=<registry image> before FROM"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_ends_as_agent_in_the_workspace(path: Path) -> None:
    steps = instructions(path)
    users = [rest for word, rest in steps if word == "USER"]
    workdirs = [rest for word, rest in steps if word == "WORKDIR"]
    assert users and users[-1] == "agent"
    assert workdirs and workdirs[-1] == "/home/agent/workspace"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_no_agent_binary_is_installed(path: Path) -> None:
    for word, rest in instructions(path):
        if word in ("RUN", "COPY", "ADD", "ENV"):
            assert not AGENT_BINARIES.search(rest), f"{word} {rest[:80]}"


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_apt_installs_are_lean_and_leave_no_lists(path: Path) -> None:
    for word, rest in instructions(path):
        if word != "RUN" or "apt-get install" not in rest:
            continue
        assert "apt-get update" in rest, "update and install in one RUN (no stale lists)"
        assert re.search(r"apt-get install -y --no-install-recommends\b", rest)
        assert "rm -rf /var/lib/apt/lists/*" in rest


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_title_label_names_the_image(path: Path) -> None:
    labels = " ".join(rest for word, rest in instructions(path) if word == "LABEL")
    assert f'org.opencontainers.image.title="{path.parent.name}"' in labels


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_copied_files_exist_in_the_context(path: Path) -> None:
    for word, rest in instructions(path):
        if word in ("COPY", "ADD"):
            *sources, _dest = rest.split()
            for source in sources:
                assert (path.parent / source).is_file(), f"{word} {source}"


def test_base_creates_the_agent_user_and_shell_d_sourcing_bashrc() -> None:
    base = CONTAINERS / BASE_NAME
    run = " ".join(rest for word, rest in instructions(base / "Containerfile") if word == "RUN")
    assert "useradd" in run and "--home-dir /home/agent" in run and " agent" in run
    assert "/home/agent/.shell.d" in run
    bashrc = (base / "bashrc").read_text()
    assert '"$HOME"/.shell.d/*.sh' in bashrc and "KANIBAKO_PS1" in bashrc


def apt_packages() -> list[str]:
    """Debian packages the Containerfiles install from Debian itself.

    A RUN that first adds a vendor repository (``dpkg -i``) installs from it,
    so its packages are not Debian's and are left out.
    """
    names: set[str] = set()
    for path in FILES:
        for word, rest in instructions(path):
            if word != "RUN" or "apt-get install" not in rest or "dpkg -i" in rest:
                continue
            for segment in rest.split("apt-get install")[1:]:
                words = segment.split("&&")[0].split()
                names.update(w for w in words if not w.startswith("-"))
    return sorted(names)


def test_the_package_list_is_read_from_every_layer() -> None:
    found = apt_packages()
    for expected in ("git", "gh", "clang", "qemu-user", "openjdk-17-jdk-headless", "maven"):
        assert expected in found
    assert "dotnet-sdk-8.0" not in found  # from Microsoft's repository, not Debian


@pytest.fixture(scope="module")
def kanibako_test_base(engine: str) -> str:
    return ensure_test_base(engine)


@pytest.mark.integration
def test_every_debian_package_exists_in_bookworm_and_installs_together(
    engine: str, kanibako_test_base: str
) -> None:
    packages = apt_packages()
    script = (
        "apt-get update -qq >/dev/null && "
        f"apt-get install --simulate --no-install-recommends -qq {' '.join(packages)} >/dev/null"
    )
    done = subprocess.run(
        [engine, "run", "--rm", "--user", "root", "--network", "host",
         kanibako_test_base, "bash", "-c", script],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


FIRST_STAGE_CHECKS = {"kanibako-jvm": "java -version && mvn -v"}
"""Layers whose first stage CI builds for real (about 30 s each), and a command proving it.

kanibako-systems' stage (clang, LLVM, QEMU: 1.4 GB) takes over 90 s, so only
apt's --simulate above covers it; the others start with vendor downloads.
"""


def first_stage(path: Path) -> str:
    """The Containerfile up to its first Debian package install, ending as ``agent``."""
    kept = []
    for word, rest in instructions(path):
        kept.append(f"{word} {rest}")
        if word == "RUN" and "apt-get install" in rest and "dpkg -i" not in rest:
            return "\n".join([*kept, "USER agent", ""])
    raise AssertionError(f"{path} installs no Debian packages")


@pytest.mark.integration
@pytest.mark.parametrize("layer", sorted(FIRST_STAGE_CHECKS))
def test_first_stage_builds_on_the_real_base(
    engine: str, kanibako_test_base: str, layer: str, tmp_path: Path
) -> None:
    (tmp_path / "Containerfile").write_text(first_stage(CONTAINERS / layer / "Containerfile"))
    # Tagged so the engine's layer cache makes the next run instant.
    tag = f"localhost/kanibako-test-first-stage:{layer}"
    built = subprocess.run(
        [engine, "build", "--build-arg", f"BASE_IMAGE={kanibako_test_base}", "--tag", tag,
         str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    check = subprocess.run(
        [engine, "run", "--rm", "--network", "none", tag, "bash", "-c", FIRST_STAGE_CHECKS[layer]],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
