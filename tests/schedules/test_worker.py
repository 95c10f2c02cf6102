"""The worker: ticks claim what there is room for, shutdown hands back what never started, one
leader runs the sweep and the token check."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from channels.base import Published
from drafts.models import utcnow
from schedules.claim import claim_due
from schedules.jobs import sweep_expired_leases
from schedules.leader import PostgresLeader, SqliteLeader
from schedules.limits import TokenBucket
from schedules.models import Delivery, LeaderLease
from schedules.outbox import schedule_draft
from schedules.settings import ScheduleSettings
from schedules.worker import Worker, main
from tests.schedules.helpers import NOW, FakeAdapter, account, approved_draft, reload, scheduled


def blocking_adapter(gate: threading.Event, started: threading.Semaphore) -> FakeAdapter:
    def wait_for_gate(post):
        started.release()
        assert gate.wait(10)
        return Published(f"ext-{post.marker}")

    return FakeAdapter(publish_script=[wait_for_gate])


def make_worker(sessions, adapter, clock, notes=None, leader=None, **overrides) -> Worker:
    settings = ScheduleSettings(**{"pool_size": 4, "account_concurrency": 2,
                                   "account_rate": 100.0, "account_burst": 100, **overrides})
    return Worker(sessions, lambda _a: adapter, settings, notes or (lambda *_: None), "w1",
                  leader=leader, clock=clock)


def statuses(sessions):
    with sessions() as s:
        return sorted(s.scalars(select(Delivery.status)))


def test_a_tick_claims_due_work_and_runs_it_in_the_pool(session, sessions, fake, clock):
    scheduled(session, n_accounts=3)
    worker = make_worker(sessions, fake, clock)

    assert worker.tick() == 3
    worker.drain(5)

    assert statuses(sessions) == ["published"] * 3
    assert worker.outcomes == {"published": 3}
    worker.stop(0)


def test_a_tick_claims_no_more_than_an_account_may_run_at_once(session, sessions, clock):
    acc = account(session)
    for _ in range(3):
        scheduled_on(session, acc)
    gate, started = threading.Event(), threading.Semaphore(0)
    worker = make_worker(sessions, blocking_adapter(gate, started), clock, account_concurrency=2)

    assert worker.tick() == 2
    assert worker.tick() == 0  # the account is busy; the third stays unclaimed
    assert statuses(sessions) == ["running", "running", "scheduled"]
    gate.set()
    worker.drain(5)
    assert worker.tick() == 1
    worker.drain(5)
    assert statuses(sessions) == ["published"] * 3
    worker.stop(0)


def scheduled_on(session, acc):
    schedule_draft(session, approved_draft(session), [acc], NOW)
    session.commit()


def test_the_rate_limit_lets_an_account_burst_then_waits_for_tokens(session, sessions, fake):
    acc = account(session)
    for _ in range(4):
        scheduled_on(session, acc)
    worker = make_worker(sessions, fake, lambda: NOW, account_concurrency=10,
                         account_rate=0.001, account_burst=2)

    assert worker.tick() == 2
    worker.drain(5)
    assert worker.tick() == 0  # no token left; the other two wait
    assert statuses(sessions) == ["published", "published", "scheduled", "scheduled"]
    worker.stop(0)


def test_a_token_bucket_refills_at_its_rate_up_to_its_burst():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 1.0
    assert bucket.available() == 2
    now[0] = 100.0
    assert bucket.available() == 3


def test_stopping_hands_back_claims_that_never_started_and_keeps_leases_in_flight(
    session, sessions, clock,
):
    scheduled(session, n_accounts=2)
    gate, started = threading.Event(), threading.Semaphore(0)
    worker = make_worker(sessions, blocking_adapter(gate, started), clock, pool_size=1)
    assert worker.tick() == 1
    assert started.acquire(timeout=5)
    with sessions() as s:  # a claim that is still queued behind the busy pool
        [queued] = claim_due(s, NOW, "w1", 1, 300)
    worker._submit(queued)

    still_running = worker.stop(grace=0.2)

    assert still_running == 1
    with sessions() as s:
        back = s.get(Delivery, queued.delivery_id)
        assert (back.status, back.claim_token, back.lease_until) == ("scheduled", "", None)
        [in_flight] = s.scalars(select(Delivery).where(Delivery.status == "running"))
        assert in_flight.lease_until == NOW + timedelta(seconds=worker.settings.lease_seconds)
    gate.set()
    worker.drain(5)  # let the run finish before the next test empties the tables


def test_the_sweep_marks_deliveries_of_dead_workers_unconfirmed(session, sessions):
    _, [dead, alive] = scheduled(session, n_accounts=2)
    dead.status, dead.lease_until = "running", NOW - timedelta(seconds=1)
    alive.status, alive.lease_until = "running", NOW + timedelta(seconds=60)
    session.commit()

    assert sweep_expired_leases(session, NOW) == 1

    assert (reload(sessions, dead.id).status, reload(sessions, alive.id).status) == (
        "unconfirmed", "running")
    [claim] = claim_due(session, NOW, "w2", 10, 60)
    assert claim.needs_reconcile is True


def test_one_worker_leads_on_the_lease_row_until_its_lease_runs_out(sessions):
    first = SqliteLeader(sessions, "w1", ttl=90)
    second = SqliteLeader(sessions, "w2", ttl=90)

    assert first.acquire(NOW) is True
    assert second.acquire(NOW) is False
    assert first.acquire(NOW + timedelta(seconds=60)) is True  # renewed
    assert second.acquire(NOW + timedelta(seconds=149)) is False
    assert second.acquire(NOW + timedelta(seconds=151)) is True
    assert first.acquire(NOW + timedelta(seconds=152)) is False
    second.release(NOW + timedelta(seconds=153))
    assert first.acquire(NOW + timedelta(seconds=154)) is True
    with sessions() as s:
        assert s.get(LeaderLease, "publisher-worker").holder == "w1"


@pytest.mark.postgresql_only
def test_on_postgresql_one_worker_leads_through_an_advisory_lock(engine):
    assert engine.dialect.name == "postgresql"
    first, second = PostgresLeader(engine), PostgresLeader(engine)
    try:
        assert first.acquire(NOW) is True
        assert second.acquire(NOW) is False
        assert first.acquire(NOW) is True
        first.release(NOW)
        assert second.acquire(NOW) is True
    finally:
        first.release(NOW)
        second.release(NOW)


def test_the_leader_warns_once_before_a_token_expires_and_once_when_it_has(
    session, sessions, clock, notes, fake,
):
    acc = account(session, "facebook", "1000001", token_expires_at=NOW + timedelta(days=3))
    session.commit()
    worker = make_worker(sessions, fake, clock, notes, SqliteLeader(sessions, "w1", 90))

    assert worker.leader_tick() is True
    assert worker.leader_tick() is True
    clock.advance(4 * 86400)
    worker.leader_tick()

    assert [(kind, subject.id) for kind, subject in notes.seen] == [
        ("token_expiring", acc.id), ("token_expired", acc.id)]
    worker.stop(0)


def test_a_follower_runs_no_leader_jobs(sessions, clock, notes, fake):
    SqliteLeader(sessions, "w0", 90).acquire(NOW)
    worker = make_worker(sessions, fake, clock, notes, SqliteLeader(sessions, "w1", 90))
    assert worker.leader_tick() is False
    worker.stop(0)


def test_main_ticks_on_apscheduler_until_told_to_stop(session, engine, sessions):
    _, deliveries = scheduled(session, n_accounts=3, due_at=utcnow() - timedelta(seconds=5))
    fake = FakeAdapter(publish_script=[Published("ext")])
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(main(
        engine, lambda _a: fake, {"tick_seconds": 0.05, "leader_interval": 0.05},
        worker_id="w-main", stop_event=stop)))
    runner.start()
    deadline = time.monotonic() + 10
    while statuses(sessions) != ["published"] * 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    runner.join(10)

    assert statuses(sessions) == ["published"] * 3
    assert result == [0]
    assert len(fake.calls) == 3
