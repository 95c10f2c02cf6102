"""Between two ticks the worker keeps up: it claims again as runs finish, and the moment the next
delivery comes due, instead of leaving a backlog or a due post waiting for the next tick."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from channels.base import Published
from drafts.models import utcnow
from schedules.settings import ScheduleSettings
from schedules.worker import Worker
from tests.schedules.helpers import FakeAdapter, reload, scheduled


def make_worker(sessions, adapter, **overrides) -> Worker:
    settings = ScheduleSettings(**{"pool_size": 2, "account_concurrency": 2,
                                   "account_rate": 100.0, "account_burst": 100,
                                   "refill_seconds": 0.01, **overrides})
    return Worker(sessions, lambda _a: adapter, settings, lambda *_: None, "w-keep-up")


def slow_adapter(seconds: float) -> FakeAdapter:
    def publish(post):
        time.sleep(seconds)
        return Published(f"ext-{post.marker}")

    return FakeAdapter(publish_script=[publish])


def test_a_backlog_is_claimed_as_runs_finish_not_a_tick_later(session, sessions):
    _, deliveries = scheduled(session, n_accounts=6, due_at=utcnow() - timedelta(seconds=1))
    worker = make_worker(sessions, slow_adapter(0.05))
    assert worker.tick() == 2  # the pool holds two

    began = time.monotonic()
    worker.keep_up(began + 5)

    # keep_up alone (no further tick) claimed the rest as runs finished
    assert worker.outcomes == {"published": 6}
    assert {reload(sessions, d.id).status for d in deliveries} == {"published"}
    worker.stop(0)


def test_a_delivery_due_between_ticks_is_claimed_when_it_comes_due(session, sessions):
    due = utcnow() + timedelta(seconds=0.3)
    _, [delivery] = scheduled(session, due_at=due)
    worker = make_worker(sessions, FakeAdapter(publish_script=[Published("ext-1")]))
    assert worker.tick() == 0

    worker.keep_up(time.monotonic() + 2)

    done = reload(sessions, delivery.id)
    assert done.status == "published"  # claimed by keep_up, with no tick after it came due
    assert done.attempt_rows[0].started_at >= due  # and not before its time
    worker.stop(0)


def test_nothing_due_before_the_deadline_ends_the_round_at_once(session, sessions):
    scheduled(session, due_at=utcnow() + timedelta(minutes=10))
    worker = make_worker(sessions, FakeAdapter(publish_script=[Published("ext-1")]))

    # Nothing comes due before the round's deadline (a minute away): it must end by itself
    # instead of waiting that minute out.
    round_ = threading.Thread(target=worker.keep_up, args=(time.monotonic() + 60,))
    round_.start()
    round_.join(30)

    assert not round_.is_alive()
    assert worker.outcomes == {}
    worker.stop(0)


def test_stopping_ends_a_round_that_waits_for_a_due_delivery(session, sessions):
    scheduled(session, due_at=utcnow() + timedelta(seconds=3))
    worker = make_worker(sessions, FakeAdapter(publish_script=[Published("ext-1")]))
    round_ = threading.Thread(target=worker.keep_up, args=(time.monotonic() + 5,))
    round_.start()
    time.sleep(0.2)

    worker.stop(0)
    round_.join(1)

    assert not round_.is_alive()
    assert worker.outcomes == {}


def test_a_started_worker_with_a_one_second_tick_publishes_on_time(session, sessions):
    due = utcnow() + timedelta(seconds=1.5)  # half way between two ticks
    _, [delivery] = scheduled(session, due_at=due)
    worker = make_worker(sessions, FakeAdapter(publish_script=[Published("ext-1")]),
                         tick_seconds=1.0)
    worker.start()
    try:
        deadline = time.monotonic() + 30  # a guard against hanging, not a speed check
        while reload(sessions, delivery.id).status != "published":
            assert time.monotonic() < deadline, "not published within 30 s"
            time.sleep(0.05)
    finally:
        worker.stop(1)

    # How late it is is measured by bench/dispatch.py (speed is never asserted in tests).
    assert reload(sessions, delivery.id).attempt_rows[0].started_at >= due


def test_stopping_while_a_round_is_in_its_tick_does_not_hang(session, sessions):
    worker = make_worker(sessions, FakeAdapter(publish_script=[Published("ext-1")]),
                         tick_seconds=0.2)
    in_tick, go_on = threading.Event(), threading.Event()
    real_tick = worker.tick

    def held_tick() -> int:
        in_tick.set()
        assert go_on.wait(5)
        return real_tick()

    worker.tick = held_tick  # type: ignore[method-assign]
    worker.start()
    assert in_tick.wait(5)
    stopper = threading.Thread(target=worker.stop, args=(0,))
    stopper.start()
    time.sleep(0.2)  # APScheduler's shutdown now waits for the round, holding its locks

    go_on.set()
    stopper.join(5)

    assert not stopper.is_alive()
