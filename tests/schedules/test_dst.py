"""Deliveries entered in Copenhagen wall-clock time become due at the right UTC instant across
the 2026 and 2027 DST changes; the spring gap is refused and the autumn hour must be chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drafts.localtime import AmbiguousLocalTime, NonexistentLocalTime, local_to_utc
from schedules.claim import claim_due
from schedules.outbox import schedule_draft
from tests.schedules.helpers import CPH, account, approved_draft

# (wall-clock time in Copenhagen, fold for the autumn hour, the UTC instant it must go out)
CHANGES = {
    "2026 spring": [
        (datetime(2026, 3, 29, 1, 30), None, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        (datetime(2026, 3, 29, 3, 0), None, datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 3, 30), None, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ],
    "2026 autumn": [
        (datetime(2026, 10, 25, 1, 30), None, datetime(2026, 10, 24, 23, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 30), 0, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 30), 1, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 3, 30), None, datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
    ],
    "2027 spring": [
        (datetime(2027, 3, 28, 1, 59), None, datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
        (datetime(2027, 3, 28, 3, 0), None, datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
    ],
    "2027 autumn": [
        (datetime(2027, 10, 31, 2, 0), 0, datetime(2027, 10, 31, 0, 0, tzinfo=UTC)),
        (datetime(2027, 10, 31, 2, 59), 0, datetime(2027, 10, 31, 0, 59, tzinfo=UTC)),
        (datetime(2027, 10, 31, 2, 0), 1, datetime(2027, 10, 31, 1, 0, tzinfo=UTC)),
        (datetime(2027, 10, 31, 3, 0), None, datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
    ],
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_deliveries_across_a_dst_change_become_due_at_the_right_instant(session, change):
    acc = account(session)
    expected = {}
    for local, fold, instant in CHANGES[change]:
        due = local_to_utc(local, CPH, fold)
        assert due == instant
        [delivery] = schedule_draft(session, approved_draft(session), [acc], due, due_at=due)
        expected[delivery.id] = instant
    session.commit()

    for delivery_id, instant in sorted(expected.items(), key=lambda kv: kv[1]):
        assert claim_due(session, instant - timedelta(seconds=1), "w", 10, 86400) == []
        claimed = claim_due(session, instant, "w", 10, 86400)
        assert [c.delivery_id for c in claimed] == [delivery_id]


@pytest.mark.parametrize("local", [datetime(2026, 3, 29, 2, 30), datetime(2027, 3, 28, 2, 0)])
def test_a_time_in_the_spring_gap_cannot_be_scheduled(local):
    with pytest.raises(NonexistentLocalTime) as err:
        local_to_utc(local, CPH)
    assert err.value.suggestion.replace(tzinfo=None) == local.replace(hour=3, minute=0)


@pytest.mark.parametrize("local", [datetime(2026, 10, 25, 2, 30), datetime(2027, 10, 31, 2, 0)])
def test_a_time_in_the_autumn_hour_must_say_which_of_the_two_it_means(local):
    with pytest.raises(AmbiguousLocalTime) as err:
        local_to_utc(local, CPH)
    first, second = err.value.choices
    assert second - first == timedelta(hours=1)
