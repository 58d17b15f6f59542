"""Placeholder until issue #7 lands."""

from kanibako.errors import not_built_yet

setup = not_built_yet("setup", 7)
