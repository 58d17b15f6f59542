"""The console entry turns the cyclic collector off while modules load, and on for the work."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from kanibako import cli


def test_a_command_other_than_a_launch_runs_with_the_collector_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name))
    seen: list[bool] = []
    monkeypatch.setattr(cli, "_exit_at_once", lambda status: None)
    monkeypatch.setattr(sys, "argv", ["kanibako", "box", "list"])
    real_invoke = cli.RootGroup.invoke

    def invoke(self: cli.RootGroup, ctx: object) -> object:
        seen.append(gc.isenabled())  # before the group callback: still off
        return real_invoke(self, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(cli.RootGroup, "invoke", invoke)
    try:
        with pytest.raises(SystemExit) as ended:
            cli.main()
        assert ended.value.code == 0
        assert seen == [False]
        assert gc.isenabled()
    finally:
        gc.enable()
