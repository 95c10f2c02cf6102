"""Each outcome of a platform call leads to the right next state, and nothing is sent twice."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import update

from channels.base import ChannelError, ErrorKind, Published
from drafts.content import channel_text
from drafts.models import ChannelAccount
from drafts.validation import clean_draft_input
from publisher.flows.editing import edit_draft
from schedules.claim import claim_due
from schedules.dispatcher import retry_now, run_delivery
from schedules.models import Delivery
from schedules.retry import backoff_seconds
from tests.schedules.helpers import (
    ACTOR,
    CPH,
    NOW,
    claim_one,
    reload,
    scheduled,
)

RETRYABLE = ErrorKind.RETRYABLE
PERMANENT = ErrorKind.PERMANENT
UNKNOWN = ErrorKind.UNKNOWN


class Crash(BaseException):
    """The process dies here (nothing in the worker catches a BaseException)."""


def run_due(session, dispatch, clock):
    return run_delivery(dispatch, claim_one(session, clock.now))


def attempts_of(delivery):
    return [(a.action, a.outcome, a.error) for a in delivery.attempt_rows]


def test_a_due_delivery_is_published_and_so_is_its_draft(session, dispatch, fake, clock,
                                                         sessions):
    draft, [delivery] = scheduled(session, body="Kom og hør **orkestret**.")

    assert run_due(session, dispatch, clock) == "published"

    done = reload(sessions, delivery.id)
    assert (done.status, done.external_id, done.external_url) == (
        "published", "ext-1", "https://example.test/ext-1")
    assert done.published_at == NOW and done.attempts == 1 and done.lease_until is None
    assert attempts_of(done) == [("publish", "published", "")]
    assert done.draft.status == "published"
    [post] = fake.posts
    assert post.marker == delivery.marker and post.text == channel_text(draft, "x")
    assert post.html == "<p>Kom og hør <strong>orkestret</strong>.</p>\n"
    assert (post.scheduled_at, post.created_after) == (NOW, NOW)
    assert (post.initiative, post.municipalities) == ("music", ["roskilde"])


def test_the_draft_is_published_only_when_every_delivery_is(session, dispatch, clock, sessions):
    _, [first, second] = scheduled(session, n_accounts=2)
    claims = claim_due(session, NOW, "w-test", 10, 300)

    run_delivery(dispatch, claims[0])
    assert reload(sessions, first.id).draft.status == "scheduled"
    run_delivery(dispatch, claims[1])
    assert reload(sessions, second.id).draft.status == "published"


def test_a_retryable_error_retries_later_but_no_sooner_than_retry_after(
    session, dispatch, fake, clock, sessions,
):
    fake.publish_script = [ChannelError(RETRYABLE, "rate_limited", "429", retry_after=120),
                           Published("ext-2")]
    _, [delivery] = scheduled(session)

    assert run_due(session, dispatch, clock) == "retry"

    waiting = reload(sessions, delivery.id)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (
        "scheduled", 1, "rate_limited")
    assert waiting.next_attempt_at == NOW + timedelta(seconds=120)  # jitter ≤ 30 s here
    assert claim_due(session, NOW + timedelta(seconds=119), "w-test", 10, 300) == []
    clock.advance(120)
    assert run_due(session, dispatch, clock) == "published"
    assert fake.actions() == ["publish", "publish"]


def test_backoff_is_full_jitter_under_an_exponential_ceiling_and_retry_after_is_a_floor():
    rng = random.Random(4)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (4, 240), (8, 600)]:
        delays = [backoff_seconds(attempt, 30, 600, rng=rng) for _ in range(200)]
        assert 0 <= min(delays) < ceiling * 0.2 and ceiling * 0.8 < max(delays) <= ceiling
    assert backoff_seconds(1, 30, 600, retry_after=500, rng=rng) == 500


def test_retryable_errors_fail_the_delivery_after_max_attempts_and_tell_the_secretariat(
    session, dispatch, fake, clock, notes, sessions,
):
    fake.publish_script = [ChannelError(RETRYABLE, "platform_unavailable", "503")]
    _, [delivery] = scheduled(session)
    outcomes = []
    for _ in range(3):  # max_attempts is 3 in these tests
        outcomes.append(run_due(session, dispatch, clock))
        clock.advance(3600)

    assert outcomes == ["retry", "retry", "failed"]
    failed = reload(sessions, delivery.id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        "failed", 3, "platform_unavailable")
    assert notes.kinds() == ["failed"]
    assert claim_due(session, clock.now, "w-test", 10, 300) == []


def test_a_permanent_error_fails_at_once_with_its_reason_and_a_notification(
    session, dispatch, fake, clock, notes, sessions,
):
    fake.publish_script = [ChannelError(PERMANENT, "token_expired", "OAuthException 190/463")]
    _, [delivery] = scheduled(session)

    assert run_due(session, dispatch, clock) == "failed"

    failed = reload(sessions, delivery.id)
    assert (failed.status, failed.last_error, failed.attempts) == ("failed", "token_expired", 1)
    assert "190/463" in failed.last_error_detail
    [(kind, told)] = notes.seen
    assert kind == "failed" and told.id == delivery.id and told.last_error == "token_expired"
    assert told.draft.title == "Koncert i Roskilde" and told.account.name  # readable later
    with sessions() as s:  # one answer is no evidence against the account (3 in a row are)
        assert s.get(ChannelAccount, delivery.account_id).health == "unknown"


def test_an_unknown_outcome_is_reconciled_and_a_found_post_is_not_sent_again(
    session, dispatch, fake, clock, sessions,
):
    fake.publish_script = [ChannelError(UNKNOWN, "outcome_unknown", "read timeout")]
    fake.find_script = [Published("ext-9", "https://example.test/ext-9")]
    _, [delivery] = scheduled(session)

    assert run_due(session, dispatch, clock) == "unconfirmed"
    waiting = reload(sessions, delivery.id)
    assert waiting.status == "unconfirmed"
    assert waiting.next_attempt_at == NOW + timedelta(seconds=10)
    assert claim_due(session, NOW + timedelta(seconds=9), "w-test", 10, 300) == []

    clock.advance(10)
    claim = claim_one(session, clock.now)
    assert claim.needs_reconcile is True
    assert run_delivery(dispatch, claim) == "found"

    done = reload(sessions, delivery.id)
    assert (done.status, done.external_id) == ("published", "ext-9")
    assert fake.actions() == ["publish", "find_existing"]
    assert attempts_of(done) == [("publish", "unconfirmed", "outcome_unknown"),
                                 ("reconcile", "found", "")]
    assert done.draft.status == "published"


def test_an_unknown_outcome_that_reconciliation_finds_absent_is_published_again(
    session, dispatch, fake, clock, sessions,
):
    fake.publish_script = [ChannelError(UNKNOWN, "outcome_unknown", "dropped"), Published("e3")]
    fake.find_script = [None]
    _, [delivery] = scheduled(session)
    run_due(session, dispatch, clock)
    clock.advance(10)

    assert run_due(session, dispatch, clock) == "published"

    done = reload(sessions, delivery.id)
    assert fake.actions() == ["publish", "find_existing", "publish"]
    assert attempts_of(done) == [("publish", "unconfirmed", "outcome_unknown"),
                                 ("reconcile", "absent", ""), ("publish", "published", "")]
    assert done.attempts == 2


@pytest.mark.parametrize("error", [
    ChannelError(UNKNOWN, "outcome_unknown", "too many posts in the window to tell"),
    ChannelError(PERMANENT, "token_invalid", "401 while listing posts"),
])
def test_a_reconciliation_that_cannot_tell_holds_the_delivery_for_a_person(
    session, dispatch, fake, clock, notes, sessions, error,
):
    fake.publish_script = [ChannelError(UNKNOWN, "outcome_unknown", "timeout")]
    fake.find_script = [error]
    _, [delivery] = scheduled(session)
    run_due(session, dispatch, clock)
    clock.advance(10)

    assert run_due(session, dispatch, clock) == "held"

    held = reload(sessions, delivery.id)
    assert (held.status, held.held_reason, held.last_error) == (
        "held", "cannot_tell", error.reason)
    assert fake.actions() == ["publish", "find_existing"]  # never guessed
    assert notes.kinds() == ["held"]
    assert claim_due(session, clock.advance(86400), "w-test", 10, 300) == []


def test_a_passing_failure_of_the_lookup_asks_again_later_instead_of_guessing(
    session, dispatch, fake, clock, sessions,
):
    fake.publish_script = [ChannelError(UNKNOWN, "outcome_unknown", "timeout")]
    fake.find_script = [ChannelError(RETRYABLE, "platform_unavailable", "503", retry_after=60),
                        Published("ext-4")]
    _, [delivery] = scheduled(session)
    run_due(session, dispatch, clock)
    clock.advance(10)

    assert run_due(session, dispatch, clock) == "retry"
    waiting = reload(sessions, delivery.id)
    assert waiting.status == "unconfirmed" and waiting.next_attempt_at >= clock.now + timedelta(
        seconds=60)
    clock.advance(60)
    assert run_due(session, dispatch, clock) == "found"
    assert fake.actions() == ["publish", "find_existing", "find_existing"]


def test_platform_ids_are_persisted_at_once_and_a_restart_resumes_from_them(
    session, dispatch, fake, clock, sessions, peek,
):
    seen_in_db = []

    def upload_then_die(post):
        post.remember("media_ids", ["m-1", "m-2"])
        with peek() as other:  # already committed while the adapter is still running
            seen_in_db.append(other.get(Delivery, delivery.id).state)
        raise Crash()

    fake.publish_script = [upload_then_die, Published("ext-5")]
    fake.find_script = [None]
    _, [delivery] = scheduled(session)
    with pytest.raises(Crash):
        run_due(session, dispatch, clock)
    assert seen_in_db == [{"media_ids": ["m-1", "m-2"]}]
    assert reload(sessions, delivery.id).status == "running"  # the lease is all that is left

    clock.advance(301)  # the lease runs out; the next claim must reconcile
    claim = claim_one(session, clock.now)
    assert claim.needs_reconcile is True
    assert run_delivery(dispatch, claim) == "published"

    assert fake.calls[1:] == [("find_existing", delivery.marker, {"media_ids": ["m-1", "m-2"]}),
                              ("publish", delivery.marker, {"media_ids": ["m-1", "m-2"]})]
    done = reload(sessions, delivery.id)
    assert attempts_of(done) == [("publish", "started", ""), ("reconcile", "absent", ""),
                                 ("publish", "published", "")]


def test_a_worker_that_lost_its_lease_stops_without_writing(
    session, dispatch, fake, clock, sessions, peek,
):
    def stolen_midway(post):
        with peek() as other:
            other.execute(update(Delivery).values(claim_token="another-worker"))
            other.commit()
        post.remember("tweet_id", "123")
        raise AssertionError("not reached: the checkpoint refuses")

    fake.publish_script = [stolen_midway]
    _, [delivery] = scheduled(session)

    assert run_due(session, dispatch, clock) == "lost_lease"

    left = reload(sessions, delivery.id)
    assert (left.status, left.state, left.claim_token) == ("running", {}, "another-worker")


def test_a_claim_that_expired_before_the_run_started_is_not_run(
    session, dispatch, fake, clock, sessions,
):
    _, [delivery] = scheduled(session)
    stale = claim_one(session, NOW, "w-old", lease=60)
    claim_one(session, NOW + timedelta(seconds=61), "w-new")

    assert run_delivery(dispatch, stale) == "lost_lease"
    assert fake.calls == []


def test_a_delivery_more_than_max_lateness_late_is_held_and_retry_now_sends_it(
    session, dispatch, fake, clock, notes, sessions,
):
    _, [delivery] = scheduled(session, due_at=NOW - timedelta(hours=2))

    assert run_due(session, dispatch, clock) == "held"
    held = reload(sessions, delivery.id)
    assert (held.status, held.held_reason, held.attempts) == ("held", "late", 0)
    assert fake.calls == [] and notes.kinds() == ["held"]

    with sessions() as s:
        retry_now(s, s.get(Delivery, delivery.id), clock.now, actor=ACTOR)
        s.commit()
    assert run_due(session, dispatch, clock) == "published"


def test_a_delivery_whose_content_changed_after_the_claim_is_cancelled_not_published(
    session, dispatch, fake, clock, sessions,
):
    draft, [delivery] = scheduled(session)
    claim = claim_one(session, NOW)
    data, errors = clean_draft_input(
        {"title": "Ny titel", "body": "x", "initiative": "music", "municipalities": ["roskilde"],
         "channels": ["x"]}, zone=CPH, municipalities={"roskilde"}, initiatives={"music"})
    assert not errors
    edit_draft(session, draft, data, actor=ACTOR, now=NOW)
    session.commit()

    assert run_delivery(dispatch, claim) == "cancelled"
    assert fake.calls == []
    assert reload(sessions, delivery.id).status == "cancelled"


def test_an_x_duplicate_answer_means_the_post_is_already_there(
    session, dispatch, fake, clock, sessions,
):
    fake.publish_script = [ChannelError(PERMANENT, "duplicate", "403 duplicate content")]
    fake.find_script = [Published("ext-7")]
    _, [delivery] = scheduled(session)

    assert run_due(session, dispatch, clock) == "found"
    assert reload(sessions, delivery.id).external_id == "ext-7"


def test_an_adapter_that_crashes_is_treated_as_an_unknown_outcome(
    session, dispatch, fake, clock, sessions,
):
    def bug(post):
        raise KeyError("data")

    fake.publish_script = [bug]
    _, [delivery] = scheduled(session)

    assert run_due(session, dispatch, clock) == "unconfirmed"
    assert reload(sessions, delivery.id).status == "unconfirmed"


def test_retry_now_reconciles_first_when_nobody_could_tell_unless_told_it_is_absent(
    session, sessions, clock,
):
    _, [unknown, failed] = scheduled(session, n_accounts=2)
    unknown.status, unknown.held_reason = "held", "cannot_tell"
    failed.status, failed.attempts, failed.last_error = "failed", 3, "token_expired"
    session.commit()

    retry_now(session, unknown, clock.now)
    retry_now(session, failed, clock.now)
    assert (unknown.status, failed.status, failed.attempts) == ("unconfirmed", "scheduled", 0)
    assert unknown.next_attempt_at == failed.next_attempt_at == clock.now

    unknown.status, unknown.held_reason = "held", "cannot_tell"
    retry_now(session, unknown, clock.now, confirmed_absent=True)
    assert unknown.status == "scheduled"
    with pytest.raises(ValueError):
        retry_now(session, unknown, clock.now)  # not failed or held
    session.rollback()


def test_retry_now_refuses_a_delivery_whose_draft_changed(session, clock):
    draft, [delivery] = scheduled(session)
    delivery.status = "failed"
    draft.content_hash = "0" * 64
    with pytest.raises(ValueError, match="changed"):
        retry_now(session, delivery, clock.now)
    session.rollback()
