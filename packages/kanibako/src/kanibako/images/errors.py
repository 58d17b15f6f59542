"""Errors of image supply (pull, local build, bootstrap).

They carry ``exit_code`` like every kanibako library error, so the CLI turns
them into one line (see kanibako.errors).
"""

from __future__ import annotations


class ImageError(Exception):
    """An image could not be made available (a runtime failure: exit status 1)."""

    exit_code = 1


class UnknownImageError(ImageError):
    """The user named an image Kanibako cannot build (exit status 2)."""

    exit_code = 2


class BootstrapUnavailableError(ImageError):
    """Bootstrapping a Debian root filesystem is not possible on this host (exit status 2).

    The message says what to install or configure.
    """

    exit_code = 2


class ImageInputError(ImageError):
    """The user named an image or an archive that cannot be used as asked (exit status 2)."""

    exit_code = 2
