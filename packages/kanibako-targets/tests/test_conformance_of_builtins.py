"""The built-in targets pass the conformance suite plugin authors run."""

from __future__ import annotations

from kanibako_targets.claude import ClaudeTarget
from kanibako_targets.no_agent import NoAgentTarget
from kanibako_targets.testing import TargetConformance


class TestClaudeConformance(TargetConformance):
    target_class = ClaudeTarget

    def credential_sample(self, rank: int) -> bytes:
        return b'{"claudeAiOauth": {"accessToken": "t%d", "expiresAt": %d}}' % (rank, 1000 + rank)


class TestNoAgentConformance(TargetConformance):
    target_class = NoAgentTarget
    needs_install = False
