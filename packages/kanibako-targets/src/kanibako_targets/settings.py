"""Effective target settings: project override > agent ``[state]`` > target default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from kanibako_targets.errors import SettingError
from kanibako_targets.values import SettingDescriptor

SettingSource = Literal["project", "agent", "default"]


@dataclass(frozen=True)
class EffectiveSetting:
    """One setting as ``box settings list`` shows it."""

    descriptor: SettingDescriptor
    value: str
    source: SettingSource

    @property
    def key(self) -> str:
        """The setting's key."""
        return self.descriptor.key


def find_descriptor(descriptors: Sequence[SettingDescriptor], key: str) -> SettingDescriptor:
    """The descriptor of ``key``; an error listing the known keys otherwise."""
    for descriptor in descriptors:
        if descriptor.key == key:
            return descriptor
    known = ", ".join(d.key for d in descriptors) or "none"
    raise SettingError(f"unknown setting {key!r} (this target's settings: {known})")


def check_value(descriptor: SettingDescriptor, value: str, where: str = "") -> None:
    """Refuse a value outside the descriptor's choices (``where`` prefixes the message)."""
    if descriptor.choices is not None and value not in descriptor.choices:
        prefix = f"{where}: " if where else ""
        raise SettingError(
            f"{prefix}setting {descriptor.key!r} must be one of "
            f"{', '.join(descriptor.choices)}, not {value!r}"
        )


def effective_settings(
    descriptors: Sequence[SettingDescriptor],
    overrides: Mapping[str, str],
    agent_state: Mapping[str, str],
    *,
    overrides_from: str = "project override",
    state_from: str = "agent [state]",
) -> list[EffectiveSetting]:
    """Each declared setting's effective value and where it came from.

    Values found in ``overrides`` or ``agent_state`` are checked against the
    choices; the error names the source (``overrides_from``/``state_from``).
    """
    result = []
    for descriptor in descriptors:
        if descriptor.key in overrides:
            value, source = overrides[descriptor.key], "project"
            check_value(descriptor, value, overrides_from)
        elif descriptor.key in agent_state:
            value, source = agent_state[descriptor.key], "agent"
            check_value(descriptor, value, state_from)
        else:
            value, source = descriptor.default, "default"
        result.append(EffectiveSetting(descriptor, value, source))  # type: ignore[arg-type]
    return result


def effective_state(
    descriptors: Sequence[SettingDescriptor],
    overrides: Mapping[str, str],
    agent_state: Mapping[str, str],
    *,
    overrides_from: str = "project override",
    state_from: str = "agent [state]",
) -> dict[str, str]:
    """The state handed to ``translate_state``.

    Undeclared ``[state]`` keys pass through unchanged (a target may read
    more keys than it offers in ``box settings``).
    """
    state = dict(agent_state)
    settings = effective_settings(
        descriptors, overrides, agent_state, overrides_from=overrides_from, state_from=state_from
    )
    for setting in settings:
        state[setting.key] = setting.value
    return state
