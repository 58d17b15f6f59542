"""Where Kanibako keeps state: XDG paths, project modes, config, env files, worksets."""

from kanibako_paths.__about__ import __version__

__all__ = ["__version__"]
