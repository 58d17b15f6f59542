"""Placeholder until issue #3 lands."""

from kanibako.errors import not_built_yet

vault = not_built_yet("vault", 3)
