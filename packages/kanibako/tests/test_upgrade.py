"""upgrade: find the git checkout, report updates, fast-forward; clear errors otherwise."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kanibako.cli import cli
from kanibako.errors import CliError
from kanibako.self_upgrade import Checkout, apply_update, check_for_update, find_checkout


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def clones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An upstream work tree and a clone of it ("the install")."""
    for key, value in {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e", "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    _git(upstream, "init", "-q", "-b", "main")
    (upstream / "README").write_text("one\n")
    _git(upstream, "add", "README")
    _git(upstream, "commit", "-qm", "one")
    install = tmp_path / "install"
    subprocess.run(["git", "clone", "-q", str(upstream), str(install)], check=True)
    return upstream, install


def test_up_to_date_checkout_reports_nothing_behind(clones: tuple[Path, Path]) -> None:
    _, install = clones
    state = check_for_update(find_checkout(install))
    assert (state.branch, state.behind, state.ahead) == ("main", 0, 0)


def test_new_upstream_commits_are_reported_then_pulled(clones: tuple[Path, Path]) -> None:
    upstream, install = clones
    (upstream / "README").write_text("two\n")
    _git(upstream, "commit", "-qam", "two")
    checkout = Checkout(install, editable=True)
    assert check_for_update(checkout).behind == 1
    head = apply_update(checkout)  # no packages/ here: pull only
    assert head == _git(upstream, "rev-parse", "--short", "HEAD")
    assert (install / "README").read_text() == "two\n"


def test_a_directory_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="not a git checkout"):
        find_checkout(tmp_path)


def test_a_branch_without_upstream_is_a_clear_error(clones: tuple[Path, Path]) -> None:
    upstream, _ = clones
    with pytest.raises(CliError, match="no upstream"):
        check_for_update(find_checkout(upstream))


def test_this_dev_install_is_found_as_an_editable_git_checkout() -> None:
    checkout = find_checkout()
    assert (checkout.root / "packages" / "kanibako").is_dir()
    assert checkout.editable


def test_stop_refuses_a_path_together_with_all(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["stop", str(tmp_path), "--all"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "not both" in result.output
