"""Placeholder until issue #2 lands."""

from kanibako.errors import not_built_yet

status = not_built_yet("status", 2)
