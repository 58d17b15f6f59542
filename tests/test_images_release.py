"""The release workflow's own logic, run here (the workflow itself runs only on GitHub)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _step_script(step_id: str) -> str:
    """The ``run: |`` block of the step with ``id: STEP_ID``."""
    lines = WORKFLOW.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"id: {step_id}")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    indent = len(lines[run + 1]) - len(lines[run + 1].lstrip())
    body = []
    for line in lines[run + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        body.append(line)
    return textwrap.dedent("\n".join(body))


def _parse_tag(tag: str, tmp_path: Path) -> tuple[int, dict[str, str]]:
    output = tmp_path / "out"
    output.write_text("")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _step_script("parse")],
        cwd=REPO, env={"GITHUB_REF_NAME": tag, "GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    pairs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done.returncode, pairs


@pytest.mark.parametrize(
    ("tag", "dist", "version"),
    [
        ("kanibako-vault-v0.1.0", "kanibako-vault", "0.1.0"),
        ("kanibako-v0.2.0", "kanibako", "0.2.0"),
        ("kanibako-runtime-v1.0.0rc1", "kanibako-runtime", "1.0.0rc1"),
    ],
)
def test_a_tag_names_one_package_and_its_version(
    tag: str, dist: str, version: str, tmp_path: Path
) -> None:
    assert _parse_tag(tag, tmp_path) == (0, {"dist": dist, "version": version})


def test_a_tag_naming_no_package_fails(tmp_path: Path) -> None:
    status, pairs = _parse_tag("kanibako-nosuch-v1.0.0", tmp_path)
    assert status == 1 and pairs == {}


def test_tag_patterns_cover_every_package() -> None:
    text = WORKFLOW.read_text()
    assert 'tags: ["kanibako-v*", "kanibako-*-v*"]' in text
    for package in (REPO / "packages").iterdir():
        assert package.name == "kanibako" or package.name.startswith("kanibako-")
    assert "if: needs.tag.outputs.dist == 'kanibako'" in text  # images only with the CLI


def test_image_publish_refuses_an_unknown_image() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kanibako.images.publish", "--version", "0", "--only", "nosuch"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("image_publish: 'nosuch' is not one of the bundled")
