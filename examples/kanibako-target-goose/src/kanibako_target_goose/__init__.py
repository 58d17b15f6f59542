"""Example Kanibako target for Goose (level 3 of the plugin guide)."""

from kanibako_target_goose.target import GooseTarget

__all__ = ["GooseTarget"]
