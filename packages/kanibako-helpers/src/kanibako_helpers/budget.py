"""Spawn budgets: how deep below itself, and how many children wide, a helper may spawn."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from kanibako_helpers.errors import BudgetExceeded, HelperUsageError
from kanibako_helpers.numbering import child_number, children_of

DEFAULT_DEPTH = 2
DEFAULT_BREADTH = 4


@dataclass(frozen=True)
class SpawnBudget:
    """``depth`` levels may still be spawned below; at most ``breadth`` children at once."""

    depth: int = DEFAULT_DEPTH
    breadth: int = DEFAULT_BREADTH

    def __post_init__(self) -> None:
        if self.depth < 0 or self.breadth < 0:
            raise HelperUsageError(
                f"a spawn budget is not negative (depth {self.depth}, breadth {self.breadth})"
            )

    @property
    def can_spawn(self) -> bool:
        """True when this budget allows at least one child."""
        return self.depth >= 1 and self.breadth >= 1


def child_budget(
    parent: SpawnBudget, depth: int | None = None, breadth: int | None = None
) -> SpawnBudget:
    """The budget a new child of ``parent`` gets, or BudgetExceeded.

    Depth decrements with each level: a child may ask for less than
    ``parent.depth - 1`` but never more; breadth never grows down the tree.
    """
    if not parent.can_spawn:
        raise BudgetExceeded(
            f"spawn budget exhausted (depth {parent.depth}, breadth {parent.breadth})"
        )
    limit_depth = parent.depth - 1
    chosen_depth = limit_depth if depth is None else depth
    chosen_breadth = parent.breadth if breadth is None else breadth
    if chosen_depth > limit_depth:
        raise BudgetExceeded(f"depth {chosen_depth} exceeds the allowed {limit_depth}")
    if chosen_breadth > parent.breadth:
        raise BudgetExceeded(f"breadth {chosen_breadth} exceeds the allowed {parent.breadth}")
    return SpawnBudget(depth=chosen_depth, breadth=chosen_breadth)


def free_child_number(
    parent: int, budget: SpawnBudget, existing: Collection[int], base: int
) -> int:
    """The lowest free child number of ``parent`` within its breadth, or BudgetExceeded."""
    mine = [n for n in children_of(parent, base) if n in existing]
    if len(mine) >= budget.breadth:
        raise BudgetExceeded(
            f"helper {parent} already has {len(mine)} of {budget.breadth} children"
            " (clean one up, or respawn a stopped one)"
        )
    for slot in range(1, min(budget.breadth, base) + 1):
        number = child_number(parent, slot, base)
        if number not in existing:
            return number
    raise BudgetExceeded(f"helper {parent} has no free child slot")
