"""Kanibako: run AI coding agents in rootless containers, one sandbox per project."""

from kanibako.__about__ import __version__

__all__ = ["__version__"]
