"""Several worker processes draining one queue: no delivery is claimed twice and none is published
twice on the sandbox.

On PostgreSQL (TEST_DATABASE_URL) four worker processes compete through `FOR UPDATE SKIP
LOCKED`; on SQLite two compete through the conditional UPDATE (the same test, never a skip).
The database itself keeps the evidence: a trigger writes a row for every committed claim (a
delivery entering `running` under a new claim token), so a second claim of the same delivery
cannot hide, whatever the workers log. The workers are `bench/crash.py worker` subprocesses
publishing through the real X adapter to a sandbox whose duplicate-text guard is off.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from drafts.models import utcnow
from schedules.models import Attempt, Delivery

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash.py"
N = 200
# Long leases: nobody is killed here, so any second claim would be a claiming bug.
SETTINGS = {"lease_seconds": 60.0, "tick_seconds": 0.05, "pool_size": 4,
            "account_concurrency": 2}

CLAIM_LOG = {
    "postgresql": [
        "CREATE TABLE claim_log (id serial PRIMARY KEY, delivery_id integer NOT NULL, "
        "token text NOT NULL, worker text NOT NULL)",
        "CREATE FUNCTION log_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO claim_log (delivery_id, token, worker) "
        "VALUES (NEW.id, NEW.claim_token, NEW.claimed_by); RETURN NEW; END $$",
        "CREATE TRIGGER delivery_claimed AFTER UPDATE ON delivery FOR EACH ROW "
        "WHEN (NEW.status = 'running' AND NEW.claim_token IS DISTINCT FROM OLD.claim_token) "
        "EXECUTE FUNCTION log_claim()",
    ],
    "sqlite": [
        "CREATE TABLE claim_log (id integer PRIMARY KEY, delivery_id integer NOT NULL, "
        "token text NOT NULL, worker text NOT NULL)",
        "CREATE TRIGGER delivery_claimed AFTER UPDATE ON delivery FOR EACH ROW "
        "WHEN NEW.status = 'running' AND NEW.claim_token IS NOT OLD.claim_token BEGIN "
        "INSERT INTO claim_log (delivery_id, token, worker) "
        "VALUES (NEW.id, NEW.claim_token, NEW.claimed_by); END",
    ],
}
DROP_CLAIM_LOG = ["DROP TRIGGER IF EXISTS delivery_claimed ON delivery",
                  "DROP FUNCTION IF EXISTS log_claim()", "DROP TABLE IF EXISTS claim_log"]


def _crash_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_crash", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def claim_log(engine: Engine) -> Any:
    """A table the database fills with every committed claim (dropped afterwards on PG)."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        if dialect == "postgresql":  # left over if an earlier run was interrupted
            for statement in DROP_CLAIM_LOG:
                conn.execute(text(statement))
        for statement in CLAIM_LOG[dialect]:
            conn.execute(text(statement))
    yield
    if dialect == "postgresql":  # the test database outlives this test
        with engine.begin() as conn:
            for statement in DROP_CLAIM_LOG:
                conn.execute(text(statement))


def set_due(engine: Engine, ids: list[int], seconds_from_now: float) -> None:
    """Move every delivery to one due time, in one transaction."""
    with Session(engine) as s:
        s.execute(update(Delivery).where(Delivery.id.in_(ids))
                  .values(due_at=utcnow() + timedelta(seconds=seconds_from_now)))
        s.commit()


def wait_until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def stop(procs: list[Any]) -> list[str]:
    """SIGTERM every worker; return the logs of those that had to be killed after 10 s."""
    for proc in procs:
        proc.popen.send_signal(signal.SIGTERM)
    hung = []
    for proc in procs:
        try:
            proc.popen.wait(10)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait()
            hung.append(proc.log.name)
    return hung


@pytest.mark.slow
def test_worker_processes_sharing_a_queue_never_claim_or_publish_a_delivery_twice(
    database_url, engine, claim_log, tmp_path,
):
    crash = _crash_module()
    workers = 4 if engine.dialect.name == "postgresql" else 2
    texts = crash.schedule(database_url, N, 8, "many")
    ids = list(texts)
    set_due(engine, ids, 3600)  # nothing is due until every worker is ticking
    settings = {**crash.WORKER_SETTINGS, **SETTINGS}
    server, sandbox_url = crash.start_sandbox(latency=0.02)
    hung: list[str] = []
    try:
        procs = [crash.spawn(database_url, sandbox_url, f"w{i}", tmp_path, settings)
                 for i in range(workers)]
        try:
            wait_until(lambda: all(p.ready() for p in procs), 30, "the workers to start")
            started = time.monotonic()
            set_due(engine, ids, -1)  # all due at once, for every worker
            wait_until(lambda: crash.open_count(database_url, ids) == 0, 40,
                       "the queue to drain")
            seconds = time.monotonic() - started
        finally:
            hung = stop(procs)
        result = crash.outcome(database_url, sandbox_url, texts, 0, seconds)
    finally:
        server.shutdown()

    with Session(engine) as s:
        claims = s.execute(text("SELECT delivery_id, token, worker FROM claim_log")).all()
        attempts = s.execute(select(Attempt.delivery_id, Attempt.action, Attempt.outcome,
                                    Attempt.worker)).all()
        statuses = dict(s.execute(select(Delivery.status, func.count()).group_by(
            Delivery.status)).all())
    claimed_by = {row.delivery_id: row.worker for row in claims}
    per_worker = {w: sum(1 for c in claims if c.worker == w) for w in set(claimed_by.values())}
    print(f"workers={workers} {result.line()} claims={len(claims)} per_worker={per_worker}")

    assert hung == []  # every worker stopped on SIGTERM
    assert (result.duplicates, result.lost, result.published) == (0, 0, N)
    assert statuses == {"published": N}
    assert len(claims) == N and sorted(claimed_by) == sorted(ids)  # each claimed exactly once
    assert len(per_worker) == workers  # every process took part in the race
    # One attempt per delivery, a publish that succeeded, made by the worker that claimed it.
    assert sorted(a.delivery_id for a in attempts) == sorted(ids)
    assert {(a.action, a.outcome) for a in attempts} == {("publish", "published")}
    assert all(a.worker == claimed_by[a.delivery_id] for a in attempts)
    for log in tmp_path.glob("*.log"):
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
