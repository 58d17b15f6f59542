"""Placeholder until issue #4 lands."""

from kanibako.errors import not_built_yet

stop = not_built_yet("stop", 4)
