"""Placeholder until issue #4 lands."""

from kanibako.errors import not_built_yet

start = not_built_yet("start", 4)
shell = not_built_yet("shell", 4)
resume = not_built_yet("resume", 4)
