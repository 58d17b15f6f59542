"""Placeholder until issue #2 lands."""

from kanibako.errors import not_built_yet

env = not_built_yet("env", 2)
