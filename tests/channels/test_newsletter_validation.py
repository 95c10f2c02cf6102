"""The newsletter's limits: subject ≤ 150, a body, a sender, and quarter-hour scheduling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from channels.base import Account, ChannelSettings, Post
from channels.newsletter import NewsletterAdapter, next_quarter, subscriber_hash

OPTIONS = {"from_name": "Kulturmetropolen", "reply_to": "nyt@kulturby.dk"}


def problems(options: dict[str, Any] = OPTIONS, **kwargs: Any) -> list[tuple[str, str]]:
    fields: dict[str, Any] = {"text": "Tekst", "title": "Emne"}
    fields.update(kwargs)
    account = Account("newsletter", "Nyhedsbrev", "l1", {"api_key": "k-us6"}, options)
    adapter = NewsletterAdapter(account, ChannelSettings(base_url="http://mc.test/3.0"))
    return [(p.field, p.code) for p in adapter.validate(Post(marker="m", **fields))]


def utc(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 10, 1, hour, minute, second, tzinfo=UTC)


def test_a_complete_newsletter_passes() -> None:
    assert problems() == []


def test_it_requires_a_subject() -> None:
    assert problems(title="") == [("title", "required")]


def test_it_accepts_a_subject_of_exactly_150_characters() -> None:
    assert problems(title="ø" * 150) == []


def test_it_refuses_a_subject_of_151_characters() -> None:
    assert problems(title="ø" * 151) == [("title", "too_long")]


def test_it_requires_a_body() -> None:
    assert problems(text="  ", html=None) == [("body", "required")]


def test_it_requires_a_sender_name_and_a_reply_to_address() -> None:
    assert problems(options={"reply_to": "not an address"}) == [
        ("account", "from_name_missing"),
        ("account", "reply_to_missing"),
    ]


@pytest.mark.parametrize(
    ("wanted", "now", "expected"),
    [
        (utc(9, 7), utc(8, 0), utc(9, 15)),  # rounds up, never down
        (utc(9, 15), utc(8, 0), utc(9, 15)),  # already on the quarter
        (utc(9, 15, 1), utc(8, 0), utc(9, 30)),  # a second past is the next quarter
        (utc(9, 52), utc(8, 0), utc(10, 0)),  # into the next hour
        (utc(23, 50), utc(8, 0), datetime(2026, 10, 2, 0, 0, tzinfo=UTC)),  # next day
        (utc(9, 0), utc(9, 20), utc(9, 30)),  # never in the past
        (utc(9, 0), utc(9, 30), utc(9, 45)),  # and strictly after now
    ],
)
def test_it_schedules_on_the_next_quarter_hour(
    wanted: datetime, now: datetime, expected: datetime
) -> None:
    assert next_quarter(wanted, now) == expected


def test_the_subscriber_hash_is_the_md5_of_the_lowercased_address() -> None:
    assert subscriber_hash(" Anne@Kulturby.DK ") == "32af54f955838f45ce86349e10729cd0"
