"""Kanibako's container engine wrapper: engine detection, ContainerSpec to argv, run/stop/list, images, project lock.

Every public name is imported on first use (PEP 562): ``kanibako status`` reads
the project lock through this package and must not pay for the engine,
subprocess and image code it does not use (see bench/cli_startup.py).
"""

from typing import TYPE_CHECKING, Any

from kanibako_runtime.__about__ import __version__

if TYPE_CHECKING:
    from kanibako_runtime.argv import (
        env_file_text,
        process_env,
        to_argv,
    )
    from kanibako_runtime.calls import ensure_reachable
    from kanibako_runtime.containers import (
        STOP_TIMEOUT,
        ContainerInfo,
        ForegroundContainer,
        OrphanReaper,
        foreground,
        inspect,
        list_containers,
        remove,
        run,
        run_detached,
        stdin_is_terminal,
        stop,
    )
    from kanibako_runtime.engine import (
        ENGINE_ENV,
        Engine,
        EngineKind,
        detect_engine,
    )
    from kanibako_runtime.errors import (
        EngineCommandError,
        EngineNotFoundError,
        EngineUnreachableError,
        InvalidSpecError,
        KanibakoRuntimeError,
        ProjectLockedError,
    )
    from kanibako_runtime.execs import exec_argv, exec_foreground
    from kanibako_runtime.freshness import (
        FRESHNESS_TTL,
        FreshnessHint,
        cached_freshness,
        parse_image_ref,
        start_background_check,
    )
    from kanibako_runtime.image_memo import (
        forget_image,
        image_known_present,
        remember_image,
    )
    from kanibako_runtime.image_ops import (
        build_image,
        import_image,
        load_image,
        pull_image,
        push_image,
        save_image,
    )
    from kanibako_runtime.images import (
        ImageInfo,
        image_exists,
        image_labels,
        images_labelled,
        list_images,
        local_digests,
        remove_image,
        tag_image,
    )
    from kanibako_runtime.lock import (
        LOCK_FILE_NAME,
        LockHolder,
        ProjectLock,
        lock_holder,
        stale_holder,
    )
    from kanibako_runtime.spec import (
        ContainerSpec,
        Mount,
        OverlayMount,
        TmpfsMount,
    )

_LAZY: dict[str, str] = {
    "env_file_text": "kanibako_runtime.argv",
    "process_env": "kanibako_runtime.argv",
    "to_argv": "kanibako_runtime.argv",
    "STOP_TIMEOUT": "kanibako_runtime.containers",
    "ContainerInfo": "kanibako_runtime.containers",
    "ForegroundContainer": "kanibako_runtime.containers",
    "foreground": "kanibako_runtime.containers",
    "inspect": "kanibako_runtime.containers",
    "list_containers": "kanibako_runtime.containers",
    "remove": "kanibako_runtime.containers",
    "run": "kanibako_runtime.containers",
    "run_detached": "kanibako_runtime.containers",
    "OrphanReaper": "kanibako_runtime.containers",
    "stdin_is_terminal": "kanibako_runtime.containers",
    "stop": "kanibako_runtime.containers",
    "exec_argv": "kanibako_runtime.execs",
    "exec_foreground": "kanibako_runtime.execs",
    "ENGINE_ENV": "kanibako_runtime.engine",
    "Engine": "kanibako_runtime.engine",
    "EngineKind": "kanibako_runtime.engine",
    "detect_engine": "kanibako_runtime.engine",
    "EngineCommandError": "kanibako_runtime.errors",
    "EngineNotFoundError": "kanibako_runtime.errors",
    "EngineUnreachableError": "kanibako_runtime.errors",
    "ensure_reachable": "kanibako_runtime.calls",
    "InvalidSpecError": "kanibako_runtime.errors",
    "KanibakoRuntimeError": "kanibako_runtime.errors",
    "ProjectLockedError": "kanibako_runtime.errors",
    "forget_image": "kanibako_runtime.image_memo",
    "image_known_present": "kanibako_runtime.image_memo",
    "remember_image": "kanibako_runtime.image_memo",
    "LOCK_FILE_NAME": "kanibako_runtime.lock",
    "LockHolder": "kanibako_runtime.lock",
    "ProjectLock": "kanibako_runtime.lock",
    "lock_holder": "kanibako_runtime.lock",
    "stale_holder": "kanibako_runtime.lock",
    "ContainerSpec": "kanibako_runtime.spec",
    "Mount": "kanibako_runtime.spec",
    "TmpfsMount": "kanibako_runtime.spec",
    "OverlayMount": "kanibako_runtime.spec",
    "FRESHNESS_TTL": "kanibako_runtime.freshness",
    "FreshnessHint": "kanibako_runtime.freshness",
    "cached_freshness": "kanibako_runtime.freshness",
    "parse_image_ref": "kanibako_runtime.freshness",
    "start_background_check": "kanibako_runtime.freshness",
    "ImageInfo": "kanibako_runtime.images",
    "image_exists": "kanibako_runtime.images",
    "image_labels": "kanibako_runtime.images",
    "images_labelled": "kanibako_runtime.images",
    "list_images": "kanibako_runtime.images",
    "local_digests": "kanibako_runtime.images",
    "remove_image": "kanibako_runtime.images",
    "tag_image": "kanibako_runtime.images",
    "build_image": "kanibako_runtime.image_ops",
    "import_image": "kanibako_runtime.image_ops",
    "load_image": "kanibako_runtime.image_ops",
    "pull_image": "kanibako_runtime.image_ops",
    "push_image": "kanibako_runtime.image_ops",
    "save_image": "kanibako_runtime.image_ops",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kanibako_runtime' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
    "EngineUnreachableError",
    "ForegroundContainer",
    "FreshnessHint",
    "ImageInfo",
    "InvalidSpecError",
    "KanibakoRuntimeError",
    "LockHolder",
    "Mount",
    "OrphanReaper",
    "OverlayMount",
    "ProjectLock",
    "ProjectLockedError",
    "TmpfsMount",
    "__version__",
    "build_image",
    "cached_freshness",
    "detect_engine",
    "ensure_reachable",
    "env_file_text",
    "exec_argv",
    "exec_foreground",
    "foreground",
    "forget_image",
    "image_exists",
    "image_known_present",
    "image_labels",
    "images_labelled",
    "import_image",
    "inspect",
    "list_containers",
    "list_images",
    "load_image",
    "local_digests",
    "lock_holder",
    "parse_image_ref",
    "process_env",
    "pull_image",
    "push_image",
    "remember_image",
    "remove",
    "remove_image",
    "run",
    "run_detached",
    "save_image",
    "stale_holder",
    "start_background_check",
    "stdin_is_terminal",
    "stop",
    "tag_image",
    "to_argv",
]
