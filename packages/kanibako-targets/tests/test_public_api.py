"""The package's top level is the plugin API; Kanibako's own side is ``internal``."""

from __future__ import annotations

import kanibako_targets
import kanibako_targets.internal
from kanibako_targets import Target

PLUGIN_API = {
    "CONTAINER_BIN_DIR", "AccountCheck", "AgentConfig", "AgentInstall", "AgentMode",
    "ArgsRequest", "AuthStatus", "CredentialError", "CredentialFile", "FileRefusedError",
    "Freshness", "HostEnvironment", "LaunchCommand", "Mount", "ResourceMapping",
    "ResourceScope", "SameAccount", "SettingDescriptor", "StateTranslation",
    "SymlinkRefusedError", "Target", "TargetError", "__version__", "read_beneath",
    "read_host_file", "write_beneath", "write_host_file",
}  # fmt: skip


def test_the_top_level_names_only_what_a_plugin_author_uses() -> None:
    assert set(kanibako_targets.__all__) == PLUGIN_API
    for name in kanibako_targets.__all__:
        assert hasattr(kanibako_targets, name), name


def test_kanibakos_side_is_internal_and_does_not_repeat_the_api() -> None:
    internal = set(kanibako_targets.internal.__all__)
    assert not internal & PLUGIN_API
    for name in internal:
        assert hasattr(kanibako_targets.internal, name), name
        assert not hasattr(kanibako_targets, name), f"{name} is still at the top level"


def test_the_credential_rules_are_final() -> None:
    for rule in ("refresh_credentials", "write_back_credentials"):
        assert getattr(getattr(Target, rule), "__final__", False) is True, rule
