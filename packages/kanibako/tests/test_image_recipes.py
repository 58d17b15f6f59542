"""The bundled recipes: every image is kanibako-base plus layers that exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kanibako.images.errors import ImageError, UnknownImageError
from kanibako.images.recipes import BASE_NAME, containers_dir, image_basename, load_recipes

SPEC_IMAGES = {
    "kanibako-base", "kanibako-systems", "kanibako-jvm", "kanibako-android",
    "kanibako-ndk", "kanibako-dotnet", "kanibako-behemoth",
}  # fmt: skip


def test_the_seven_images_of_the_spec_are_bundled() -> None:
    book = load_recipes()
    assert set(book.recipes) == SPEC_IMAGES
    assert book.default_ref("kanibako-base") == "ghcr.io/doctorjei/kanibako-base:latest"


def test_every_image_builds_on_base_and_ends_with_its_own_layer() -> None:
    for name, recipe in load_recipes().recipes.items():
        assert recipe.steps[0] == BASE_NAME
        assert recipe.steps[-1] == name


def test_behemoth_has_every_toolchain_layer() -> None:
    book = load_recipes()
    layers = {layer for r in book.recipes.values() for layer in r.layers} - {"kanibako-behemoth"}
    assert layers <= set(book.recipes["kanibako-behemoth"].layers)


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        ("ghcr.io/doctorjei/kanibako-jvm:latest", "kanibako-jvm"),
        ("kanibako-systems:latest", "kanibako-systems"),
        ("localhost:5000/team/kanibako-base@sha256:abc", "kanibako-base"),
        ("kanibako-ndk", "kanibako-ndk"),
    ],
)
def test_image_references_map_to_recipes(ref: str, name: str) -> None:
    assert image_basename(ref) == name
    recipe = load_recipes().recipe_for(ref)
    assert recipe is not None and recipe.name == name


def test_unknown_image_is_a_user_mistake() -> None:
    with pytest.raises(UnknownImageError, match="not one of the bundled"):
        load_recipes().require("docker.io/library/ubuntu:24.04")


def test_digest_follows_the_files_of_the_steps(tmp_path: Path) -> None:
    root = tmp_path / "containers"
    shutil.copytree(containers_dir(), root)
    book = load_recipes(root)
    base, systems = book.digest((BASE_NAME,)), book.digest((BASE_NAME, "kanibako-systems"))
    assert base != systems
    (root / "kanibako-systems" / "Containerfile").write_text("FROM x\n")
    assert book.digest((BASE_NAME,)) == base
    assert book.digest((BASE_NAME, "kanibako-systems")) != systems


def test_a_layer_without_a_containerfile_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "containers"
    shutil.copytree(containers_dir(), root)
    shutil.rmtree(root / "kanibako-ndk")
    with pytest.raises(ImageError, match=r"images\.toml: \[images\.kanibako-ndk\] names"):
        load_recipes(root)


def test_malformed_manifest_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "images.toml").write_text("registry = \n")
    with pytest.raises(ImageError, match=r"images\.toml"):
        load_recipes(tmp_path)


def test_source_checkout_uses_the_repository_containers_dir() -> None:
    # The editable dev install reads the live files, not a copy made at install time.
    assert containers_dir() == Path(__file__).resolve().parents[3] / "containers"


def test_another_recipe_set_is_chosen_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "mine"
    shutil.copytree(containers_dir(), root)
    monkeypatch.setenv("KANIBAKO_CONTAINERS_DIR", str(root))
    assert containers_dir() == root
    assert load_recipes().root == root
    monkeypatch.setenv("KANIBAKO_CONTAINERS_DIR", str(tmp_path / "none"))
    with pytest.raises(ImageError, match=r"\$KANIBAKO_CONTAINERS_DIR is .*none.*no images\.toml"):
        containers_dir()
