"""Kanibako's container engine wrapper: engine detection, ContainerSpec to argv, run/stop/list, images, project lock."""

from kanibako_runtime.__about__ import __version__
from kanibako_runtime.argv import env_file_text, process_env, to_argv
from kanibako_runtime.engine import ENGINE_ENV, Engine, EngineKind, detect_engine
from kanibako_runtime.errors import (
    EngineCommandError,
    EngineNotFoundError,
    InvalidSpecError,
    KanibakoRuntimeError,
    ProjectLockedError,
)
from kanibako_runtime.spec import ContainerSpec, Mount, TmpfsMount

__all__ = [
    "ENGINE_ENV",
    "ContainerSpec",
    "Engine",
    "EngineCommandError",
    "EngineKind",
    "EngineNotFoundError",
    "InvalidSpecError",
    "KanibakoRuntimeError",
    "Mount",
    "ProjectLockedError",
    "TmpfsMount",
    "__version__",
    "detect_engine",
    "env_file_text",
    "process_env",
    "to_argv",
]
