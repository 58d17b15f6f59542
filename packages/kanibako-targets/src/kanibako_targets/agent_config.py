"""Per-agent configuration: ``{agents_dir}/{id}.toml``, generated once, then the user's.

```toml
[agent]
name = "Claude Code"
shell = "standard"      # shell template variant
default_args = []       # prepended to the agent's arguments on every launch
[state]                 # settings the target translates into args/env
[env]                   # raw environment variables for the container
[shared]                # agent-level shared caches: name = "path in home"
```

The directory is a parameter: this package does not decide where state lives.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanibako_targets.errors import AgentConfigError, FileRefusedError
from kanibako_targets.safe_files import read_host_file, write_host_file
from kanibako_targets.values import check_home_relative

if TYPE_CHECKING:
    from kanibako_targets.target import Target

SECTIONS = ("agent", "state", "env", "shared")


@dataclass(frozen=True)
class AgentConfig:
    """The contents of one agent TOML file."""

    name: str
    shell: str = "standard"
    default_args: tuple[str, ...] = ()
    state: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    shared: Mapping[str, str] = field(default_factory=dict)

    def to_toml(self) -> str:
        """The file text, with short comments saying what each section is for."""
        import tomli_w  # only a first use writes; launches only read

        agent = {"name": self.name, "shell": self.shell, "default_args": list(self.default_args)}
        blocks = [
            "# Kanibako agent configuration (generated once; edit freely).\n",
            tomli_w.dumps({"agent": agent}),
            "# Settings the target turns into arguments/env (see `kanibako box settings`).\n"
            + tomli_w.dumps({"state": dict(self.state)}),
            "# Environment variables injected into the container.\n"
            + tomli_w.dumps({"env": dict(self.env)}),
            "# Agent-level shared caches: name = path inside the home (mounted from the\n"
            "# agent's shared directory when it exists; `kanibako shared init --agent`).\n"
            + tomli_w.dumps({"shared": dict(self.shared)}),
        ]
        return "\n".join(blocks)


def agent_config_path(agents_dir: Path, target_name: str) -> Path:
    """Where the agent config of target ``target_name`` lives."""
    return agents_dir / f"{target_name}.toml"


def _strings(table: Mapping[str, Any], where: str, *, scalars: bool) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, str):
            result[key] = value
        elif scalars and isinstance(value, bool):
            result[key] = "true" if value else "false"
        elif scalars and isinstance(value, int | float):
            result[key] = str(value)
        else:
            raise AgentConfigError(f"{where}.{key}: expected a string, got {type(value).__name__}")
    return result


def _table(data: Mapping[str, Any], name: str, path: Path) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise AgentConfigError(f"{path}: [{name}] must be a table")
    return table


def parse_agent_config(text: str, path: Path) -> AgentConfig:
    """Parse agent TOML text; errors name the file and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgentConfigError(f"{path}: {exc}") from exc
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise AgentConfigError(f"{path}: unknown section [{unknown[0]}]")
    agent = _table(data, "agent", path)
    where = f"{path}: agent"
    name = agent.get("name", "")
    shell = agent.get("shell", "standard")
    default_args = agent.get("default_args", [])
    if not isinstance(name, str):
        raise AgentConfigError(f"{where}.name: expected a string")
    if not isinstance(shell, str) or not shell:
        raise AgentConfigError(f"{where}.shell: expected a template variant name")
    if not isinstance(default_args, list) or not all(isinstance(a, str) for a in default_args):
        raise AgentConfigError(f"{where}.default_args: expected a list of strings")
    shared = _strings(_table(data, "shared", path), f"{path}: shared", scalars=False)
    for key, relative in shared.items():
        try:
            check_home_relative(relative, "shared path")
        except ValueError as exc:
            raise AgentConfigError(f"{path}: shared.{key}: {exc}") from exc
    return AgentConfig(
        name=name,
        shell=shell,
        default_args=tuple(default_args),
        state=_strings(_table(data, "state", path), f"{path}: state", scalars=True),
        env=_strings(_table(data, "env", path), f"{path}: env", scalars=False),
        shared=shared,
    )


def load_agent_config(path: Path) -> AgentConfig:
    """Read and parse one agent TOML file (a bounded regular file, not a link)."""
    # The one reader: a FIFO here would hang every command, a huge file eat memory.
    try:
        data = read_host_file(path)
    except FileRefusedError as exc:
        raise AgentConfigError(str(exc)) from exc
    if data is None:
        raise AgentConfigError(f"{path}: no such file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AgentConfigError(f"{path}: not UTF-8 text") from exc
    return parse_agent_config(text, path)


def write_agent_config(path: Path, config: AgentConfig) -> None:
    """Write an agent TOML file atomically."""
    write_host_file(path, config.to_toml().encode(), mode=0o644)


def ensure_agent_config(agents_dir: Path, target: Target) -> AgentConfig:
    """The agent's configuration, generated from the target on first use."""
    path = agent_config_path(agents_dir, target.name)
    if not path.exists() and not path.is_symlink():
        write_agent_config(path, target.generate_agent_config())
    return load_agent_config(path)
