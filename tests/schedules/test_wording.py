"""The problem text shown for a delivery matches its status: one test per status.

"We will try again" is promised only while a retry is booked, and then with its time; a failed
delivery never promises one, whatever its last error was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from channels.base import REASONS
from schedules.models import DeliveryStatus, HeldReason
from schedules.wording import TRANSIENT_REASONS, problem_text

ZONE = ZoneInfo("Europe/Copenhagen")
RETRY_AT = datetime(2026, 11, 28, 13, 5, tzinfo=UTC)  # 14:05 in Copenhagen
PROMISES = ("vi prøver igen automatisk", "we will try again automatically")


def text(status: DeliveryStatus, reason: str, lang: str = "da", **kw: object) -> str:
    return problem_text(status.value, reason, zone=ZONE, lang=lang, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", sorted(TRANSIENT_REASONS))
@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_scheduled_retry_is_promised_with_its_local_time(reason: str, lang: str) -> None:
    shown = text(DeliveryStatus.SCHEDULED, reason, lang, next_attempt_at=RETRY_AT, attempts=2)
    assert PROMISES[lang == "en"] in shown.lower()
    assert "14:05" in shown and "28" in shown


@pytest.mark.parametrize("reason", sorted(REASONS))
@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_failed_delivery_never_promises_a_retry(reason: str, lang: str) -> None:
    shown = text(DeliveryStatus.FAILED, reason, lang, attempts=8)
    assert not any(p in shown.lower() for p in PROMISES)
    assert ("ikke igen automatisk" if lang == "da" else "not try again automatically") in shown


def test_a_failed_delivery_that_ran_out_of_tries_says_how_many_it_made() -> None:
    shown = text(DeliveryStatus.FAILED, "platform_unavailable", "en", attempts=8)
    assert "gave up after 8 attempts" in shown


def test_a_failed_delivery_with_a_permanent_error_asks_for_the_cause_to_be_fixed() -> None:
    shown = text(DeliveryStatus.FAILED, "token_expired", "da", attempts=1)
    assert shown.startswith(REASONS["token_expired"][0])
    assert "Ret årsagen" in shown


def test_an_unconfirmed_delivery_says_we_ask_the_platform_before_sending_again() -> None:
    shown = text(DeliveryStatus.UNCONFIRMED, "outcome_unknown", "en", next_attempt_at=RETRY_AT)
    assert "ask the platform whether it went out" in shown and "14:05" in shown
    assert not any(p in shown.lower() for p in PROMISES)


def test_a_running_delivery_after_an_error_says_it_is_trying_now() -> None:
    shown = text(DeliveryStatus.RUNNING, "rate_limited", "da", attempts=1)
    assert shown.endswith("Vi prøver igen nu.")


@pytest.mark.parametrize("held", list(HeldReason))
def test_a_held_delivery_says_why_it_waits_for_a_person(held: HeldReason) -> None:
    shown = text(DeliveryStatus.HELD, "outcome_unknown", "da", held_reason=held.value)
    assert shown and not any(p in shown for p in PROMISES)


@pytest.mark.parametrize("status", [DeliveryStatus.PUBLISHED, DeliveryStatus.CANCELLED])
def test_a_published_or_cancelled_delivery_has_no_problem_to_tell(status: DeliveryStatus) -> None:
    assert text(status, "rate_limited", next_attempt_at=RETRY_AT) == ""


def test_a_scheduled_delivery_without_an_error_has_no_problem_to_tell() -> None:
    assert text(DeliveryStatus.SCHEDULED, "", next_attempt_at=None) == ""


def test_a_scheduled_delivery_with_no_retry_booked_makes_no_promise() -> None:
    shown = text(DeliveryStatus.SCHEDULED, "rate_limited", "en", next_attempt_at=None)
    assert shown == REASONS["rate_limited"][1]
