"""``kanibako image export|import`` against the real engine: an image carried as a file.

The round trip removes the image in between, so the import really brings it
back (labels and all); bad input is one line, exit 2, and leaves no file.
"""

from __future__ import annotations

import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako_runtime import (
    EngineCommandError,
    build_image,
    detect_engine,
    image_exists,
    image_labels,
    remove_image,
    save_image,
)
from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


@pytest.fixture
def carried(
    isolated_home: Path, engine: str, busybox_image: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh small image with a label of its own (removed afterwards)."""
    monkeypatch.setenv("KANIBAKO_ENGINE", engine)
    marker = uuid.uuid4().hex[:8]
    context = isolated_home / "context"
    context.mkdir()
    (context / "Containerfile").write_text(
        f"FROM {busybox_image}\nLABEL io.kanibako.test=transfer-{marker}\n"
    )
    tag = f"localhost/kanibako-test-transfer:{marker}"
    eng = detect_engine(engine)
    build_image(eng, tag, context)
    yield tag
    if image_exists(eng, tag):
        remove_image(eng, tag)


def _only_file_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_an_exported_image_comes_back_by_import(carried: str, engine: str, tmp_path: Path) -> None:
    eng = detect_engine(engine)
    labels = image_labels(eng, carried)
    out = tmp_path / "out"
    out.mkdir()
    archive = out / "image.tar"
    done = kanibako("image", "export", carried, str(archive))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"exported {carried} to {archive}\n"
    assert _only_file_in(out) == ["image.tar"]  # no partial left beside it
    assert tarfile.is_tarfile(archive)

    remove_image(eng, carried)
    assert not image_exists(eng, carried)
    done = kanibako("image", "import", str(archive))
    assert done.returncode == 0, done.stderr
    assert carried in done.stdout
    assert image_exists(eng, carried)
    assert image_labels(eng, carried) == labels


def test_export_refuses_to_replace_a_file_unless_forced(carried: str, tmp_path: Path) -> None:
    archive = tmp_path / "kept.tar"
    archive.write_bytes(b"precious")
    done = kanibako("image", "export", carried, str(archive))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"kanibako: {archive} already exists (--force replaces it)\n"
    assert archive.read_bytes() == b"precious"
    done = kanibako("image", "export", "--force", carried, str(archive))
    assert done.returncode == 0, done.stderr
    assert tarfile.is_tarfile(archive)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["export", "localhost/kanibako-test-no-such:1", "{tmp}/a.tar"], "no local image"),
        (["export", "{image}", "{tmp}/missing/a.tar"], "is not a directory"),
        (["import", "{tmp}/missing.tar"], "no such file"),
        (["import", "{tmp}/garbage.tar"], "is not an image archive"),
        (["import", "{tmp}"], "is not a regular file"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    carried: str, tmp_path: Path, args: list[str], says: str
) -> None:
    (tmp_path / "garbage.tar").write_text("not a tar archive\n" * 100)
    before = _only_file_in(tmp_path)
    filled = [a.format(tmp=tmp_path, image=carried) for a in args]
    done = kanibako("image", *filled)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith("kanibako: ") and says in done.stderr
    assert done.stderr.count("\n") == 1
    assert _only_file_in(tmp_path) == before


def test_a_failed_save_leaves_neither_the_file_nor_its_scratch(engine: str, tmp_path: Path) -> None:
    with pytest.raises(EngineCommandError, match="saving localhost/kanibako-test-no-such:1"):
        save_image(detect_engine(engine), "localhost/kanibako-test-no-such:1", tmp_path / "a.tar")
    assert _only_file_in(tmp_path) == []
