"""Placeholder until issue #6 lands."""

from kanibako.errors import not_built_yet

helper = not_built_yet("helper", 6)
