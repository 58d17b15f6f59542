"""Example Kanibako target for the OpenAI Codex CLI (level 2 of the plugin guide)."""

from kanibako_target_codex.target import CodexTarget, last_refresh

__all__ = ["CodexTarget", "last_refresh"]
