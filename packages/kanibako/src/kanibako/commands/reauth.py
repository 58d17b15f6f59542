"""Placeholder until issue #5 lands."""

from kanibako.errors import not_built_yet

reauth = not_built_yet("reauth", 5)
