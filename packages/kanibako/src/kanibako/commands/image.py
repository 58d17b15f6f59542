"""Placeholder until issue #7 lands."""

from kanibako.errors import not_built_yet

image = not_built_yet("image", 7)
