"""The worker publishing through the real X adapter (tweepy over HTTP) to the sandbox, counting
the sandbox's own records: each delivery exactly once, whatever the platform does."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from sqlalchemy import select

from channels.base import Account, ChannelSettings
from channels.x import XAdapter
from drafts.models import utcnow
from schedules.models import Delivery
from schedules.outbox import schedule_draft
from schedules.settings import ScheduleSettings
from schedules.worker import Worker
from tests.schedules.helpers import account, approved_draft, reload

USER = "1700000000000000042"


def x_factory(sandbox):
    def factory(acc):
        credentials = {"bearer_token": f"{acc.external_id}-token"}
        settings = ChannelSettings(base_url=sandbox.url("x"), timeout=2.0)
        return XAdapter(Account("x", acc.name, acc.external_id, credentials), settings,
                        requests.Session())

    return factory


def schedule_posts(session, n, user=USER):
    acc = account(session, "x", user)
    due = utcnow() - timedelta(seconds=1)
    ids = []
    for i in range(n):
        draft = approved_draft(session, title=f"Koncert nummer {i}", body=f"Tekst {i}")
        [delivery] = schedule_draft(session, draft, [acc], due, due_at=due)
        ids.append(delivery.id)
    session.commit()
    return ids


def run_until_settled(worker, sessions, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.tick()
        worker.drain(5)
        with sessions() as s:
            open_ = s.scalars(select(Delivery.id).where(
                Delivery.status.in_(["scheduled", "running", "unconfirmed"]))).all()
        if not open_:
            return
        time.sleep(0.05)
    raise AssertionError(f"deliveries still open: {open_}")


def make_worker(sessions, sandbox, notes=None, **overrides):
    settings = ScheduleSettings(**{"unconfirmed_delay": 0.0, "backoff_base": 0.1,
                                   "backoff_cap": 0.5, "account_rate": 100.0,
                                   "account_burst": 100, **overrides})
    return Worker(sessions, x_factory(sandbox), settings, notes or (lambda *_: None), "w-it")


def tweets_by_text(sandbox):
    counts: dict[str, list[str]] = {}
    for tweet in sandbox.store.collection("x", "tweets").values():
        counts.setdefault(tweet["raw_text"], []).append(tweet["id"])
    return counts


def test_scheduled_posts_go_out_to_the_sandbox_exactly_once(session, sessions, sandbox):
    ids = schedule_posts(session, 6)

    run_until_settled(make_worker(sessions, sandbox), sessions)

    published = tweets_by_text(sandbox)
    assert len(published) == 6 and all(len(v) == 1 for v in published.values())
    for delivery_id in ids:
        done = reload(sessions, delivery_id)
        assert done.status == "published" and done.draft.status == "published"
        [tweet_id] = published[f"Koncert nummer {delivery_id - ids[0]}\n\nTekst "
                               f"{delivery_id - ids[0]}"]
        assert done.external_id == tweet_id and done.state == {"tweet_id": tweet_id}


def test_a_post_accepted_before_a_server_error_is_found_not_sent_again(session, sessions,
                                                                       sandbox):
    sandbox.fault(platform="x", op="publish", kind="accept_then_500", remaining=1)
    [delivery_id] = schedule_posts(session, 1)

    run_until_settled(make_worker(sessions, sandbox), sessions)

    assert [len(v) for v in tweets_by_text(sandbox).values()] == [1]
    done = reload(sessions, delivery_id)
    assert done.status == "published"
    assert [(a.action, a.outcome) for a in done.attempt_rows] == [
        ("publish", "unconfirmed"), ("reconcile", "found")]


def test_a_rate_limited_post_waits_for_the_reset_and_goes_out_once(session, sessions,
                                                                  sandbox):
    sandbox.fault(platform="x", op="publish", kind="rate_limit", seconds=1, remaining=1)
    [delivery_id] = schedule_posts(session, 1)

    run_until_settled(make_worker(sessions, sandbox), sessions)

    assert [len(v) for v in tweets_by_text(sandbox).values()] == [1]
    done = reload(sessions, delivery_id)
    [retry, published] = done.attempt_rows
    assert (retry.outcome, retry.error, published.outcome) == (
        "retry", "rate_limited", "published")
    reset = (retry.started_at + timedelta(seconds=1)).replace(microsecond=0)  # x-rate-limit-reset
    assert published.started_at >= reset


def test_an_expired_token_fails_the_delivery_with_its_reason_and_tells_the_secretariat(
    session, sessions, sandbox,
):
    sandbox.fault(platform="x", op="publish", kind="expired_token")
    told = []
    [delivery_id] = schedule_posts(session, 1)

    run_until_settled(make_worker(sessions, sandbox, lambda k, d: told.append((k, d.id))),
                      sessions)

    failed = reload(sessions, delivery_id)
    assert (failed.status, failed.last_error) == ("failed", "token_invalid")
    assert told == [("failed", delivery_id)]
    assert tweets_by_text(sandbox) == {}
