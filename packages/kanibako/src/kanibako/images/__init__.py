"""Every image concern of Kanibako: supply (pull, else build, else bootstrap), the bundled
recipes, the Debian mirror, local listing, freshness, rebuild and release publishing.

Engine commands go through :mod:`kanibako_runtime`; this package decides what to
run and shows it as progress. The public face below is imported on first use
(PEP 562): ``kanibako status`` reads :mod:`kanibako.images.freshness` and must
not pay for the build and bootstrap code.

Modules: ``supply`` (ensure_image, freshness_hint: what a launch's image check,
``kanibako.session.image``, calls), ``build``, ``bootstrap``, ``mmdebstrap``,
``debian_mirror``, ``recipes``, ``listing``, ``freshness``, ``rebuild``,
``publish``, ``transfer`` (export/import archives), ``engine`` (the engine
commands as progress steps), ``host_command``, ``errors``.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kanibako.images.errors import BootstrapUnavailableError, ImageError, UnknownImageError
    from kanibako.images.supply import ensure_image, freshness_hint

_LAZY: dict[str, str] = {
    "BootstrapUnavailableError": "kanibako.images.errors",
    "ImageError": "kanibako.images.errors",
    "UnknownImageError": "kanibako.images.errors",
    "ensure_image": "kanibako.images.supply",
    "freshness_hint": "kanibako.images.supply",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanibako.images' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BootstrapUnavailableError",
    "ImageError",
    "UnknownImageError",
    "ensure_image",
    "freshness_hint",
]
