"""Placeholder until issue #2 lands (settings and resource: issue #5)."""

from kanibako.errors import not_built_yet

box = not_built_yet("box", 2)
