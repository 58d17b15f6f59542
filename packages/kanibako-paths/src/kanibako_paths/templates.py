"""Layered shell templates copied into a new project's home.

``templates/general/base/`` is laid down first, then the resolved variant:
``templates/{agent}/{variant}/`` if it exists, else
``templates/general/{variant}/``, else nothing. The variant ``"empty"``
applies nothing at all.
"""

from __future__ import annotations

from pathlib import Path

EMPTY_VARIANT = "empty"
GENERAL = "general"
BASE = "base"


def resolve_template(templates_dir: Path, variant: str, agent_id: str | None) -> Path | None:
    """The variant directory to overlay on ``general/base``, or None."""
    if variant == EMPTY_VARIANT:
        return None
    candidates = [templates_dir / agent_id / variant] if agent_id else []
    candidates.append(templates_dir / GENERAL / variant)
    return next((c for c in candidates if c.is_dir()), None)


def template_layers(templates_dir: Path, variant: str, agent_id: str | None) -> list[Path]:
    """The directories to copy, in order (later ones win)."""
    if variant == EMPTY_VARIANT:
        return []
    layers = []
    base = templates_dir / GENERAL / BASE
    if base.is_dir():
        layers.append(base)
    chosen = resolve_template(templates_dir, variant, agent_id)
    if chosen is not None and chosen != base:
        layers.append(chosen)
    return layers


def apply_templates(
    templates_dir: Path, shell_dir: Path, variant: str, agent_id: str | None
) -> list[Path]:
    """Copy the template layers into ``shell_dir``; the layers applied."""
    import shutil  # only project init pays for it

    layers = template_layers(templates_dir, variant, agent_id)
    for layer in layers:
        shutil.copytree(layer, shell_dir, symlinks=True, dirs_exist_ok=True)
    return layers
