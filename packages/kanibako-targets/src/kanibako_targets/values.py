"""The plain values that cross the plugin boundary (frozen dataclasses)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Literal

AgentMode = Literal["start", "resume"]


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


def check_home_relative(path: str, what: str) -> None:
    """Refuse a path that is absolute or climbs out of the home directory."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"{what} must be a relative path inside the home: {path!r}")


@dataclass(frozen=True)
class AgentInstall:
    """An agent found on the host by ``Target.detect()``.

    ``binary`` is the real file (symlinks already followed), ``command`` the
    name the agent is run by inside the container, and ``found_via`` says how
    it was found ("npm", "native installer", "PATH", ...) for ``-v`` output.
    """

    command: str
    binary: Path
    found_via: str = "PATH"


@dataclass(frozen=True)
class ArgsRequest:
    """What the user asked for, from which a target builds its CLI arguments.

    ``mode`` is ``start`` or ``resume``; ``new`` is ``-N``, ``safe`` is ``-S``;
    ``first_run`` is true on the project's first launch; ``extra_args`` go last;
    ``state`` holds the effective settings (project override > agent [state] >
    target default), as strings.
    """

    mode: AgentMode = "start"
    new: bool = False
    safe: bool = False
    first_run: bool = False
    extra_args: tuple[str, ...] = ()
    state: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", _frozen(self.state))
        object.__setattr__(self, "extra_args", tuple(self.extra_args))


@dataclass(frozen=True)
class StateTranslation:
    """CLI arguments and environment variables derived from the agent's ``[state]``."""

    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "env", _frozen(self.env))


@dataclass(frozen=True)
class LaunchCommand:
    """The agent's full command line in the container and the env it needs."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        object.__setattr__(self, "argv", tuple(self.argv))
        object.__setattr__(self, "env", _frozen(self.env))


@dataclass(frozen=True)
class SettingDescriptor:
    """A runtime setting a target understands (shown and changed by ``box settings``).

    ``choices`` constrains the values when given; the default must be one of them.
    """

    key: str
    description: str
    default: str
    choices: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.key or not self.key.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"setting key must be a simple word: {self.key!r}")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
            if self.default not in self.choices:
                raise ValueError(
                    f"setting {self.key!r}: default {self.default!r} is not one of {self.choices}"
                )


class ResourceScope(enum.StrEnum):
    """How an agent resource is shared between projects."""

    SHARED = "shared"  # bind-mounted from the agent's shared directory
    SEEDED = "seeded"  # copied from the shared directory on first init, then project-local
    PROJECT = "project"  # nothing shared


@dataclass(frozen=True)
class ResourceMapping:
    """An agent resource in the home (``path`` relative to it; a trailing ``/`` = directory)."""

    path: str
    scope: ResourceScope
    description: str = ""

    def __post_init__(self) -> None:
        check_home_relative(self.path.rstrip("/"), "resource path")
        object.__setattr__(self, "scope", ResourceScope(self.scope))

    @property
    def is_directory(self) -> bool:
        """True for a directory resource (its path ends in ``/``)."""
        return self.path.endswith("/")

    @property
    def relative(self) -> str:
        """The path inside the home, without the directory marker."""
        return self.path.rstrip("/")


#: The comparable age of a credential's bytes (for OAuth: the token's expiry).
#: None: its age cannot be told (the credential is forwarded one way only).
#: ValueError: the bytes are not a well-formed credential (a copy left like
#: that in a project's home is set aside).
Freshness = Callable[[bytes], float | None]


@dataclass(frozen=True)
class AccountCheck:
    """Whether a credential from a project's home belongs to the host's account.

    ``same`` is True when shown to be the same account (by the token's
    issuer, say), False when shown to be another one, None when it cannot be
    told now (issuer unreachable, no account known on the host); ``detail``
    says why, in a few words, for the one line the user sees.
    """

    same: bool | None
    detail: str = ""


#: ``same_account(home_copy, host_copy)``: the host's copy is None when the
#: host has none (the target may know the host's account some other way).
SameAccount = Callable[[bytes, bytes | None], AccountCheck]


@dataclass(frozen=True)
class CredentialFile:
    """A credential the target forwards between the host and the project's home.

    ``host_path`` is absolute on the host, ``home_path`` relative to the
    project's home (/home/agent in the container). ``freshness`` reads a
    comparable number from the file's bytes (see ``Freshness``). A copy from
    the home replaces the host's only when it is strictly fresher and
    ``same_account`` shows it to be the host's own account; without
    ``same_account`` a credential is forwarded one way only, into the home.
    """

    host_path: Path
    home_path: str
    freshness: Freshness
    same_account: SameAccount | None = None

    def __post_init__(self) -> None:
        if not self.host_path.is_absolute():
            raise ValueError(f"credential host path must be absolute: {self.host_path}")
        check_home_relative(self.home_path, "credential home path")


@dataclass(frozen=True)
class AuthStatus:
    """Whether the agent's credentials on the host look usable, and why."""

    ok: bool
    detail: str
