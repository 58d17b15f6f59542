"""Placeholder until issue #2 lands."""

from kanibako.errors import not_built_yet

init = not_built_yet("init", 2)
new = not_built_yet("new", 2)
