"""Placeholder until issue #4 lands."""

from kanibako.errors import not_built_yet

upgrade = not_built_yet("upgrade", 4)
