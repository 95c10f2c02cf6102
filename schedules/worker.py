"""The publishing worker: ticks about once a second, claims what is due, runs it in a bounded pool.

APScheduler (3.x) only ticks; the schedule itself is the delivery table. Every tick renews the
leases of the work in flight here, then claims as many due deliveries as there is room for
(pool threads, per-account concurrency and rate). Until shortly before the next tick it then
keeps up: it claims again when runs finish (a backlog drains at the platforms' pace, not one
pool-full per tick) and at the moment the next delivery comes due (it goes out on time, not up
to a tick late). The leader among the workers also runs the reconciliation sweep and the
token-health check.

Shutdown (SIGTERM): stop claiming, hand back claims that never started, give in-flight work
`grace_seconds` to finish. What is still in flight after that keeps its lease: if the process
then dies, the lease expires and the delivery is reconciled before anything is sent again.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, wait
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from drafts.models import utcnow
from schedules.claim import Claim, claim_due, next_due, release, renew_leases
from schedules.dispatcher import Clock, Dispatch, Notify, SessionFactory, run_delivery
from schedules.jobs import check_tokens, sweep_expired_leases
from schedules.leader import Leader, make_leader
from schedules.limits import AccountLimits, BoundedPool
from schedules.posts import AdapterFactory
from schedules.settings import ScheduleSettings

log = logging.getLogger(__name__)

# A once-per-cluster job the service adds (e.g. reach collection): called with the time on every
# leader round, after the built-in ones. Passed in explicitly; nothing registers itself.
LeaderJob = Callable[[datetime], None]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _ignore(kind: str, subject: Any) -> None:
    pass


class Worker:
    """Claims due deliveries and runs them: `tick()` is one round, `start()` ticks every second."""

    def __init__(
        self, sessions: SessionFactory, adapter_factory: AdapterFactory,
        settings: ScheduleSettings | None = None, notify: Notify = _ignore,
        worker_id: str | None = None, *, leader: Leader | None = None, clock: Clock = utcnow,
        leader_jobs: Sequence[LeaderJob] = (),
    ) -> None:
        self.settings = settings or ScheduleSettings()
        self.leader_jobs = tuple(leader_jobs)
        self.sessions = sessions
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock
        self.notify = notify
        self.leader = leader
        self.dispatch = Dispatch(sessions, adapter_factory, self.settings, notify,
                                 self.worker_id, clock)
        s = self.settings
        self.limits = AccountLimits(s.account_concurrency, s.account_rate, s.account_burst)
        self.pool = BoundedPool(s.pool_size)
        self.scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        self._claims: dict[int, Claim] = {}  # claimed here and not finished
        self._futures: dict[int, Future[str]] = {}
        self._stopping = False
        self._last_renewal: datetime | None = None
        self._wake = threading.Condition()  # notified when a run finishes or we stop
        self._round = threading.Lock()  # one scheduled round (tick + keep-up) at a time
        self._tick_origin: float | None = None  # time.monotonic() of the first scheduled tick
        self._finished = 0
        self.outcomes: dict[str, int] = {}

    # one round ------------------------------------------------------------------------------

    def tick(self) -> int:
        """Renew leases, claim as much due work as there is room for, start it; return claims."""
        if self._stopping:
            return 0
        now = self.clock()
        self._renew(now)
        room = self.pool.free()
        if room <= 0:
            return 0
        with self.sessions() as session:
            claims = claim_due(
                session, now, self.worker_id, room, self.settings.lease_seconds,
                capacity=self.limits.capacity(), default_capacity=self.limits.default_capacity(),
            )
        for claim in claims:
            self._submit(claim)
        return len(claims)

    def _renew(self, now: datetime, *, force: bool = False) -> None:
        """Keep the leases of our in-flight work alive (every third of the lease)."""
        every = self.settings.lease_seconds / 3
        last = self._last_renewal
        if not force and last and (now - last).total_seconds() < every:
            return
        with self._lock:
            claims = list(self._claims.values())
        if claims:
            with self.sessions() as session:
                renew_leases(session, claims, now, self.settings.lease_seconds)
        self._last_renewal = now

    def _submit(self, claim: Claim) -> None:
        self.limits.acquire(claim.account_id)
        with self._lock:
            self._claims[claim.delivery_id] = claim
            future = self.pool.submit(self._run, claim)
            self._futures[claim.delivery_id] = future
        future.add_done_callback(self._finished_one)  # after the pool has counted it free

    def _finished_one(self, _future: Future[str]) -> None:
        with self._wake:
            self._finished += 1
            self._wake.notify_all()

    def keep_up(self, until: float, reserve: float = 0.0) -> None:
        """Claim again whenever there may be work, until shortly before `until` (the next
        tick, in time.monotonic()).

        Wakes when a run finishes (then gathers a few more, see `_gather`) or when the next
        delivery comes due; returns when neither can happen in time, and the next tick takes
        over. `reserve` is kept free before `until`: at least a twentieth of a tick, and twice
        the slowest tick seen, so that a round ends before APScheduler starts the next one.
        """
        reserve = max(reserve, self.settings.tick_seconds / 20)
        seen = self._finished
        while not self._stopping:
            deadline = until - reserve
            left = deadline - time.monotonic()
            if left <= 0:
                return
            due_in = self._due_within(left) if self.pool.free() > 0 else None
            if due_in is None and not self.in_flight():
                return
            wait = max(0.0, deadline - time.monotonic()) if due_in is None else due_in
            finished = self._wait_for_a_finish(seen, wait)
            if self._stopping:
                return
            if finished:
                self._gather(deadline)
            elif due_in is None:
                return
            seen = self._finished
            began = time.monotonic()
            self.tick()
            reserve = max(reserve, 2 * (time.monotonic() - began))

    def _gather(self, deadline: float) -> None:
        """After a run finished, wait up to `refill_seconds` until an eighth of the pool is
        free, so that one claim fills several slots instead of one claim per finished run."""
        want = max(1, self.pool.size // 8)
        timeout = max(0.0, min(self.settings.refill_seconds, deadline - time.monotonic()))
        with self._wake:
            self._wake.wait_for(lambda: self.pool.free() >= want or self._stopping,
                                timeout=timeout)

    def _wait_for_a_finish(self, seen: int, timeout: float) -> bool:
        """Wait until more than `seen` runs have finished (True) or `timeout` passes."""
        with self._wake:
            return self._wake.wait_for(lambda: self._finished != seen or self._stopping,
                                       timeout=timeout)

    def _due_within(self, seconds: float) -> float | None:
        """Seconds until the next delivery comes due, if that is within `seconds`."""
        now = self.clock()
        with self.sessions() as session:
            when = next_due(session, now, now + timedelta(seconds=seconds))
        return None if when is None else max(0.0, (when - now).total_seconds())

    def _run(self, claim: Claim) -> str:
        try:
            with self._lock:
                stopping = self._stopping
            if stopping:  # claimed but never started: hand it back
                with self.sessions() as session:
                    release(session, [claim], self.clock())
                return "released"
            outcome = run_delivery(self.dispatch, claim)
        except Exception:
            log.exception("delivery %s: the run failed; its lease will expire and it will be "
                          "reconciled", claim.delivery_id)
            outcome = "error"
        finally:
            self.limits.release(claim.account_id)
            with self._lock:
                self._claims.pop(claim.delivery_id, None)
                self._futures.pop(claim.delivery_id, None)
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        log.info("delivery %s: %s", claim.delivery_id, outcome)
        return outcome

    def drain(self, timeout: float | None = None) -> None:
        """Wait for the work started so far (tests and benchmarks)."""
        with self._lock:
            futures = list(self._futures.values())
        wait(futures, timeout=timeout)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._claims)

    # leader jobs ----------------------------------------------------------------------------

    def leader_tick(self) -> bool:
        """Run the once-per-cluster jobs if this worker is (or becomes) the leader."""
        if self.leader is None or self._stopping:
            return False
        now = self.clock()
        if not self.leader.acquire(now):
            return False
        with self.sessions() as session:
            swept = sweep_expired_leases(session, now)
            if swept:
                log.warning("marked %d deliveries with expired leases unconfirmed", swept)
            accounts = check_tokens(session, now, self.settings.token_warning_days)
            for account in accounts:
                session.refresh(account)
        for account in accounts:
            self.notify(f"token_{account.health}", account)
        for job in self.leader_jobs:
            try:
                job(now)
            except Exception:  # one job's failure must not stop the others
                log.exception("leader job %s failed; trying again next time", job)
        return True

    # running --------------------------------------------------------------------------------

    def start(self) -> None:
        """Tick every `tick_seconds` and run the leader jobs, in background threads."""
        scheduler = BackgroundScheduler(timezone="UTC")
        self._tick_origin = time.monotonic()
        # Two instances, so that a round running a little late is waited for, not skipped
        # with a warning; `_round` still lets only one run at a time.
        scheduler.add_job(self._safe_tick, "interval", seconds=self.settings.tick_seconds,
                          id="tick", max_instances=2, coalesce=True, next_run_time=utcnow())
        # The heartbeat renews our leases on its own thread, so a busy round never lets them
        # lapse; a dead worker stops beating and its deliveries are reconciled one lease later.
        scheduler.add_job(self._heartbeat, "interval", seconds=self.settings.lease_seconds / 3,
                          id="heartbeat", max_instances=1, coalesce=True)
        if self.leader is not None:
            scheduler.add_job(self._safe_leader_tick, "interval",
                              seconds=self.settings.leader_interval, id="leader",
                              max_instances=1, coalesce=True, next_run_time=utcnow())
        scheduler.start()
        self.scheduler = scheduler

    def _safe_tick(self) -> None:
        if not self._round.acquire(timeout=self.settings.tick_seconds / 2):
            return  # the previous round is still busy: it claims what this one would
        started = time.monotonic()
        try:
            self.tick()
            self.keep_up(self._next_tick(started + self.settings.tick_seconds),
                         reserve=2 * (time.monotonic() - started))
        except Exception:
            log.exception("tick failed; trying again next tick")
        finally:
            self._round.release()

    def _next_tick(self, fallback: float) -> float:
        """When APScheduler will start the tick job again, in time.monotonic() terms (a late
        start under load must not push a round into the next one).

        Worked out from when the ticks began (the interval trigger runs at origin + k × tick),
        not asked of the scheduler: its shutdown holds the job-store lock while it waits for
        running jobs, so a job asking it for a job would wait for ever.
        """
        if self._tick_origin is None:
            return fallback
        tick = self.settings.tick_seconds
        return self._tick_origin + (math.floor((time.monotonic() - self._tick_origin) / tick)
                                    + 1) * tick

    def _heartbeat(self) -> None:
        try:
            self._renew(self.clock(), force=True)
        except Exception:
            log.exception("renewing leases failed; trying again next beat")

    def _safe_leader_tick(self) -> None:
        try:
            self.leader_tick()
        except Exception:
            log.exception("leader jobs failed; trying again next time")

    def stop(self, grace: float | None = None) -> int:
        """Stop claiming, hand back unstarted claims, wait `grace` s; return what still runs."""
        with self._lock:
            self._stopping = True
        with self._wake:
            self._wake.notify_all()  # a keep-up round ends now
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        with self._lock:
            pending = [(i, f) for i, f in self._futures.items() if f.cancel()]
            unstarted = [self._claims.pop(i) for i, _ in pending]
            for i, _ in pending:
                self._futures.pop(i, None)
        if unstarted:
            with self.sessions() as session:
                release(session, unstarted, self.clock())
            for claim in unstarted:
                self.limits.release(claim.account_id)
        self.drain(self.settings.grace_seconds if grace is None else grace)
        if self.leader is not None:
            try:
                self.leader.release(self.clock())
            except Exception:
                log.exception("could not give up leadership; it expires by itself")
        left = self.in_flight()
        self.pool.shutdown(wait=False)
        return left


def main(
    engine: Engine, adapter_factory: AdapterFactory,
    settings: Mapping[str, Any] | ScheduleSettings | None = None, notify: Notify = _ignore,
    worker_id: str | None = None, *, stop_event: threading.Event | None = None,
    leader_jobs: Sequence[LeaderJob] = (),
) -> int:
    """Run a worker until SIGTERM/SIGINT (or `stop_event`); no Flask app needed.

    `engine` should come from publisher.db.make_engine (SQLite needs its WAL, busy timeout and
    BEGIN IMMEDIATE settings), with a connection pool of at least `pool_size` + 3 (each
    delivery thread, the tick and the leader hold one at a time; SQLAlchemy's default is 15).
    Returns how many deliveries were still in flight at exit.
    """
    if not isinstance(settings, ScheduleSettings):
        settings = ScheduleSettings.from_mapping(settings)
    sessions = sessionmaker(engine)
    worker_id = worker_id or default_worker_id()
    leader = make_leader(engine, sessions, worker_id, settings.leader_ttl)
    worker = Worker(sessions, adapter_factory, settings, notify, worker_id, leader=leader,
                    leader_jobs=leader_jobs)
    stop = stop_event or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _n, _f: stop.set())
    worker.start()
    log.info("worker %s started", worker_id)
    stop.wait()
    log.info("worker %s stopping: no new claims, %d in flight", worker_id, worker.in_flight())
    left = worker.stop()
    if left:
        log.warning("worker %s: %d deliveries still in flight after the grace period; they "
                    "keep their leases and will be reconciled", worker_id, left)
    engine.dispose()
    return left


def run_forever(
    engine: Engine, adapter_factory: AdapterFactory,
    settings: Mapping[str, Any] | ScheduleSettings | None = None, notify: Notify = _ignore,
    worker_id: str | None = None, leader_jobs: Sequence[LeaderJob] = (),
) -> None:
    """The CLI entry point: run until SIGTERM; exit at once if work outlived the grace period."""
    left = main(engine, adapter_factory, settings, notify, worker_id, leader_jobs=leader_jobs)
    if left:
        logging.shutdown()
        os._exit(0)  # in-flight threads would otherwise hold the process open; leases cover them
