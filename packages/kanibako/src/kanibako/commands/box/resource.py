"""Placeholder until issue #5 lands (owned by the targets helper)."""

from kanibako.errors import not_built_yet

resource = not_built_yet("resource", 5)
