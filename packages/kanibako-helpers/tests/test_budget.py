"""Spawn budgets: depth decrements per level, breadth never grows, slots are bounded."""

from __future__ import annotations

import pytest

from kanibako_helpers import BudgetExceeded, HelperUsageError, SpawnBudget, child_budget
from kanibako_helpers.budget import free_child_number


def test_default_child_budget_decrements_depth_and_keeps_breadth() -> None:
    assert child_budget(SpawnBudget(2, 4)) == SpawnBudget(1, 4)


def test_child_may_ask_for_less() -> None:
    assert child_budget(SpawnBudget(3, 4), depth=0, breadth=1) == SpawnBudget(0, 1)


def test_child_may_not_ask_for_more_depth() -> None:
    with pytest.raises(BudgetExceeded, match="depth 2 exceeds the allowed 1"):
        child_budget(SpawnBudget(2, 4), depth=2)


def test_child_may_not_ask_for_more_breadth() -> None:
    with pytest.raises(BudgetExceeded, match="breadth 5"):
        child_budget(SpawnBudget(2, 4), breadth=5)


@pytest.mark.parametrize("budget", [SpawnBudget(0, 4), SpawnBudget(3, 0)])
def test_exhausted_budget_cannot_spawn(budget: SpawnBudget) -> None:
    assert not budget.can_spawn
    with pytest.raises(BudgetExceeded, match="exhausted"):
        child_budget(budget)


def test_negative_budget_is_a_usage_error() -> None:
    with pytest.raises(HelperUsageError):
        SpawnBudget(-1, 2)


def test_free_number_takes_lowest_free_slot() -> None:
    assert free_child_number(0, SpawnBudget(2, 4), {0, 1, 3}, base=4) == 2
    assert free_child_number(1, SpawnBudget(1, 2), {0, 1}, base=4) == 5


def test_free_number_refuses_beyond_breadth_even_with_free_base_slots() -> None:
    with pytest.raises(BudgetExceeded, match="2 of 2 children"):
        free_child_number(1, SpawnBudget(1, 2), {0, 1, 5, 6}, base=4)
