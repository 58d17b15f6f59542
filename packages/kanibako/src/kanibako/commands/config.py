"""Placeholder until issue #2 lands."""

from kanibako.errors import not_built_yet

config = not_built_yet("config", 2)
