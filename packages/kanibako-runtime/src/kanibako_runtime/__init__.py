"""Kanibako's container engine wrapper: engine detection, ContainerSpec to argv, run/stop/list, images, project lock."""

from typing import TYPE_CHECKING, Any

from kanibako_runtime.__about__ import __version__
from kanibako_runtime.argv import env_file_text, process_env, to_argv
from kanibako_runtime.containers import (
    STOP_TIMEOUT,
    ContainerInfo,
    ForegroundContainer,
    foreground,
    inspect,
    list_containers,
    remove,
    run,
    run_detached,
    stdin_is_terminal,
    stop,
)
from kanibako_runtime.engine import ENGINE_ENV, Engine, EngineKind, detect_engine
from kanibako_runtime.errors import (
    EngineCommandError,
    EngineNotFoundError,
    InvalidSpecError,
    KanibakoRuntimeError,
    ProjectLockedError,
)
from kanibako_runtime.image_memo import forget_image, image_known_present, remember_image
from kanibako_runtime.lock import LOCK_FILE_NAME, LockHolder, ProjectLock, lock_holder
from kanibako_runtime.spec import ContainerSpec, Mount, TmpfsMount

if TYPE_CHECKING:
    from kanibako_runtime.freshness import (
        FRESHNESS_TTL,
        FreshnessHint,
        cached_freshness,
        parse_image_ref,
        start_background_check,
    )
    from kanibako_runtime.images import (
        ImageInfo,
        build_image,
        image_exists,
        list_images,
        local_digests,
        pull_image,
    )

# Image and freshness code is off the launch path's hot part: it is imported on
# first use of one of these names (the launch must stay within a few ms of Python).
_LAZY = {
    **dict.fromkeys(
        ["FRESHNESS_TTL", "FreshnessHint", "cached_freshness", "parse_image_ref",
         "start_background_check"],
        "kanibako_runtime.freshness",
    ),
    **dict.fromkeys(
        ["ImageInfo", "build_image", "image_exists", "list_images", "local_digests", "pull_image"],
        "kanibako_runtime.images",
    ),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanibako_runtime' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ENGINE_ENV",
    "FRESHNESS_TTL",
    "LOCK_FILE_NAME",
    "STOP_TIMEOUT",
    "ContainerInfo",
    "ContainerSpec",
    "Engine",
    "EngineCommandError",
    "EngineKind",
    "EngineNotFoundError",
    "ForegroundContainer",
    "FreshnessHint",
    "ImageInfo",
    "InvalidSpecError",
    "KanibakoRuntimeError",
    "LockHolder",
    "Mount",
    "ProjectLock",
    "ProjectLockedError",
    "TmpfsMount",
    "__version__",
    "build_image",
    "cached_freshness",
    "detect_engine",
    "env_file_text",
    "foreground",
    "forget_image",
    "image_exists",
    "image_known_present",
    "inspect",
    "list_containers",
    "list_images",
    "local_digests",
    "lock_holder",
    "parse_image_ref",
    "process_env",
    "pull_image",
    "remember_image",
    "remove",
    "run",
    "run_detached",
    "start_background_check",
    "stdin_is_terminal",
    "stop",
    "to_argv",
]
