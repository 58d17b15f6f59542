"""The built-in Claude Code target."""

from kanibako_targets.claude.install import find_claude
from kanibako_targets.claude.target import ClaudeTarget, checked_expiry, token_expiry

__all__ = ["ClaudeTarget", "checked_expiry", "find_claude", "token_expiry"]
