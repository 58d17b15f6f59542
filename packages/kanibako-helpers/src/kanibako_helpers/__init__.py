"""Kanibako helper agents: numbering, budgets, the host hub, its client and the message log."""

from kanibako_helpers.__about__ import __version__

__all__ = ["__version__"]
