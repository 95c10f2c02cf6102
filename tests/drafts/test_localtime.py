"""Wall-clock Copenhagen times across the 2026 and 2027 DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from drafts.localtime import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    local_to_utc,
    utc_to_local,
)

CPH = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2026, 3, 29, 1, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (datetime(2026, 3, 29, 3, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 3, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        (datetime(2027, 3, 28, 3, 30), datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        (datetime(2027, 10, 31, 12, 0), datetime(2027, 10, 31, 11, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 10, 0), datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_it_converts_unambiguous_local_times_to_the_right_instant(local, utc):
    assert local_to_utc(local, CPH) == utc
    assert utc_to_local(utc, CPH).replace(tzinfo=None) == local


@pytest.mark.parametrize("day", [datetime(2026, 3, 29, 2, 30), datetime(2027, 3, 28, 2, 0)])
def test_it_refuses_a_time_in_the_spring_gap_and_suggests_three_oclock(day):
    with pytest.raises(NonexistentLocalTime) as err:
        local_to_utc(day, CPH)
    assert err.value.suggestion.replace(tzinfo=None) == day.replace(hour=3, minute=0)


@pytest.mark.parametrize("day", [datetime(2026, 10, 25, 2, 30), datetime(2027, 10, 31, 2, 15)])
def test_it_demands_a_choice_in_the_autumn_overlap(day):
    with pytest.raises(AmbiguousLocalTime) as err:
        local_to_utc(day, CPH)
    first, second = err.value.choices
    assert (second - first).total_seconds() == 3600


def test_the_first_of_the_doubled_hours_is_summer_time_and_the_second_winter_time():
    local = datetime(2026, 10, 25, 2, 30)
    assert local_to_utc(local, CPH, fold=0) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local_to_utc(local, CPH, fold=1) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_it_refuses_an_aware_datetime():
    with pytest.raises(ValueError, match="naive"):
        local_to_utc(datetime(2026, 1, 1, tzinfo=UTC), CPH)
