"""Every glue module the pipeline uses is present, with the functions it calls.

The pipeline tolerates a missing module (it was built while the others were
being written); this test makes sure none is silently skipped now.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from kanibako.launch.glue import optional_module

CALLED = {
    "project_vault": ["snapshot_before_launch"],
    "agent_session": ["prepare_agent"],
    "helper_session": ["hub_session"],
    "images.supply": ["ensure_image", "freshness_hint"],
}


@pytest.mark.parametrize("module_name", sorted(CALLED))
def test_glue_module_is_wired(module_name: str) -> None:
    module = optional_module(module_name)
    assert module is not None, f"kanibako.{module_name} is missing: the pipeline would skip it"
    for function in CALLED[module_name]:
        assert callable(getattr(module, function, None)), f"{module_name}.{function}"


def test_prepare_agent_takes_what_the_pipeline_passes() -> None:
    module = optional_module("agent_session")
    assert module is not None
    params = inspect.signature(module.prepare_agent).parameters
    assert list(params)[:4] == ["paths", "project", "launch", "mode"]
    assert {"first_run", "verbose"} <= set(params)


def test_a_broken_glue_module_raises_instead_of_being_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kanibako

    (tmp_path / "broken_glue.py").write_text("import kanibako_no_such_dependency\n")
    monkeypatch.setattr(kanibako, "__path__", [*kanibako.__path__, str(tmp_path)])
    assert optional_module("no_such_glue_module") is None
    with pytest.raises(ModuleNotFoundError, match="kanibako_no_such_dependency"):
        optional_module("broken_glue")
