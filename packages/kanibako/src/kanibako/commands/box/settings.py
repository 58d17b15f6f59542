"""Placeholder until issue #5 lands (owned by the targets helper)."""

from kanibako.errors import not_built_yet

settings = not_built_yet("settings", 5)
