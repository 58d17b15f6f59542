"""Placeholder until issue #2 lands."""

from kanibako.errors import not_built_yet

workset = not_built_yet("workset", 2)
