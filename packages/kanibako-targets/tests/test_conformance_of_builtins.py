"""The built-in targets pass the conformance suite plugin authors run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment
from kanibako_targets.claude import ClaudeTarget
from kanibako_targets.claude.account import ISSUER_VARIABLE
from kanibako_targets.no_agent import NoAgentTarget
from kanibako_targets.testing import TargetConformance
from kanibako_targets.testing_issuer import TokenIssuer


class TestClaudeConformance(TargetConformance):
    target_class = ClaudeTarget

    def credential_sample(self, rank: int) -> bytes:
        return b'{"claudeAiOauth": {"accessToken": "t%d", "expiresAt": %d}}' % (rank, 1000 + rank)

    @pytest.fixture
    def host(self, tmp_path: Path) -> Iterator[HostEnvironment]:
        """The throwaway host, with a loopback issuer that knows every sample as one account."""
        (tmp_path / "host-home").mkdir()
        (tmp_path / "host-bin").mkdir()
        with TokenIssuer() as issuer:
            for rank in range(3):
                issuer.issue(f"t{rank}", "account-of-the-user")
            yield HostEnvironment(
                home=tmp_path / "host-home",
                path=str(tmp_path / "host-bin"),
                environ={ISSUER_VARIABLE: issuer.url},
            )


class TestNoAgentConformance(TargetConformance):
    target_class = NoAgentTarget
    needs_install = False
