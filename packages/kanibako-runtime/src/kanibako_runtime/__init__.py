"""Kanibako's container engine wrapper: engine detection, ContainerSpec to argv, run/stop/list, images, project lock."""

from kanibako_runtime.__about__ import __version__

__all__ = ["__version__"]
