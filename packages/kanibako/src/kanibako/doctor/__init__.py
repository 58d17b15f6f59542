"""``kanibako doctor``: is this host able to run Kanibako's containers, and if not, why.

Each check reports ``ok``, ``warn``, ``fail`` or ``skip`` with a detail and,
for anything not ok, the fix (a command or a file line). The checks read one
set of facts gathered up front (:mod:`kanibako.doctor.facts`), so the engine is
asked for its ``info`` once. :func:`diagnose_engine_failure` maps an engine's
error text to the same known problems, for the launch to name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kanibako.doctor.facts import HostFacts, gather
from kanibako.doctor.known_failures import diagnose_engine_failure
from kanibako.doctor.model import Check

__all__ = [
    "Check",
    "HostFacts",
    "diagnose_engine_failure",
    "gather",
    "report",
    "run_checks",
    "summary",
]


def _checks() -> list[Callable[[HostFacts], Check | list[Check]]]:
    from kanibako.doctor import engine_checks, engine_limits, host_checks, rootless_checks

    return [
        host_checks.check_config,
        engine_checks.check_engine,
        engine_checks.check_container_runs,
        engine_checks.check_init,
        engine_limits.check_ulimits,
        engine_limits.check_runtime,
        rootless_checks.check_subids,
        rootless_checks.check_idmap_helpers,
        rootless_checks.check_storage,
        rootless_checks.check_network,
        host_checks.check_hub_socket,
        host_checks.check_data_dir,
        host_checks.check_image,
        host_checks.agent_checks,
    ]


def run_checks(facts: HostFacts | None = None, env: Mapping[str, str] | None = None) -> list[Check]:
    """Every check, in the order a person reads them (the engine first)."""
    facts = gather(env) if facts is None else facts
    results: list[Check] = []
    for check in _checks():
        try:
            outcome = check(facts)
        except OSError as exc:  # an unreadable file or directory: that check failed, not doctor
            where = f": {exc.filename}" if exc.filename else ""
            outcome = Check(check.__name__.removeprefix("check_").replace("_", " "), "fail",
                            f"{exc.strerror or exc}{where}", "check the file's owner and mode")  # fmt: skip
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    return results


def report(checks: list[Check]) -> dict[str, Any]:
    """``doctor --json``: ``{"ok": no check failed, "checks": [...]}``."""
    return {"ok": all(c.status != "fail" for c in checks), "checks": [c.as_json() for c in checks]}


def summary(checks: list[Check]) -> str:
    """One line counting the outcomes and naming what failed or warns."""
    counts = {status: sum(c.status == status for c in checks) for status in ("ok", "warn", "fail")}
    line = f"doctor: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail"
    trouble = [c.name for c in checks if c.status in ("fail", "warn")]
    if trouble:
        line += f" ({', '.join(trouble)}: run kanibako doctor)"
    return line
