"""The Kanibako target plugin API, with the Claude Code and no-agent targets."""

from kanibako_targets.__about__ import __version__

__all__ = ["__version__"]
