"""Snapshot names round-trip to the moment they encode, and bad names are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kanibako_vault.names import name_time, next_name


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 3, 6, 36, 1, 794729, tzinfo=UTC),
        datetime(1999, 1, 1, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2038, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_a_name_encodes_its_moment_to_the_microsecond(moment: datetime) -> None:
    assert name_time(next_name([], moment)) == moment


def test_a_new_name_is_later_than_every_existing_one() -> None:
    latest = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    existing = [next_name([], latest - timedelta(days=1)), next_name([], latest)]
    after = next_name(existing, latest - timedelta(hours=1))  # the clock stepped back
    assert name_time(after) == latest + timedelta(microseconds=1)


@pytest.mark.parametrize("bad", ["", "20261203T063601Z", "2026120xT063601.794729Z", "../x"])
def test_what_is_not_a_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a snapshot name"):
        name_time(bad)
