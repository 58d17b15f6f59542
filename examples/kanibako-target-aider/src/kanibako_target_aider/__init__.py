"""Example Kanibako target for Aider (level 1 of the plugin guide)."""

from kanibako_target_aider.target import AiderTarget

__all__ = ["AiderTarget"]
