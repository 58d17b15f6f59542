"""A safe, fast snapshot engine for a directory, with its own small CLI (kanibako-vault)."""

from kanibako_vault.__about__ import __version__

__all__ = ["__version__"]
