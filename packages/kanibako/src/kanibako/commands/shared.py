"""Placeholder until issue #2 lands."""

from kanibako.errors import not_built_yet

shared = not_built_yet("shared", 2)
