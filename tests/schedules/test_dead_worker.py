"""A worker killed mid-call: with the default settings its deliveries are reconciled within
90 s (its heartbeat stops, so its short lease runs out), and nothing is posted twice. A worker
that is alive keeps its leases through a call longer than the lease."""

from __future__ import annotations

import importlib.util
import signal
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.config import load_settings
from publisher.db import make_engine
from schedules.models import Attempt, Delivery
from schedules.settings import ScheduleSettings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash.py"


def _crash_module():
    spec = importlib.util.spec_from_file_location("bench_crash_dead_worker", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _started(database_url: str, ids: list[int]) -> int:
    engine = make_engine(database_url)
    with Session(engine) as s:
        found = s.scalars(select(Attempt.id).where(Attempt.delivery_id.in_(ids))).all()
    engine.dispose()
    return len(found)


def _statuses(database_url: str, ids: list[int]) -> list[str]:
    engine = make_engine(database_url)
    with Session(engine) as s:
        found = list(s.scalars(select(Delivery.status).where(Delivery.id.in_(ids))))
    engine.dispose()
    return found


def test_the_default_lease_is_short_and_the_service_default_agrees():
    service = load_settings(env={"PUBLISHER_SECRET_KEY": "k" * 40})
    assert ScheduleSettings().lease_seconds == service.worker_lease_seconds == 60.0


@pytest.mark.slow
def test_a_killed_workers_deliveries_are_reconciled_within_90_seconds_with_defaults(
        database_url, tmp_path):
    crash = _crash_module()
    server, sandbox_url = crash.start_sandbox(latency=4.0)  # the kill lands mid-call
    texts = crash.schedule(database_url, 3, 1, "dead")
    ids = list(texts)
    defaults: dict[str, object] = {}  # the worker's own defaults: lease, tick, reconcile delay
    victim = crash.spawn(database_url, sandbox_url, "victim", tmp_path, defaults)
    heir = None
    try:
        deadline = time.monotonic() + 60
        while not _started(database_url, ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _started(database_url, ids), "the worker never started a delivery"
        victim.popen.send_signal(signal.SIGKILL)
        victim.popen.wait()
        killed_at = time.monotonic()
        heir = crash.spawn(database_url, sandbox_url, "heir", tmp_path, defaults)
        while crash.open_count(database_url, ids) and time.monotonic() - killed_at < 120:
            time.sleep(0.25)
        recovered_after = time.monotonic() - killed_at
        posted = crash.sandbox_posts(sandbox_url)
    finally:
        for proc in (victim, heir):
            if proc is not None and proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
                proc.popen.wait(20)
        server.shutdown()
    print(f"recovered {recovered_after:.1f} s after the kill")
    assert recovered_after <= 90
    assert _statuses(database_url, ids) == ["published"] * 3
    assert [posted.get(text, 0) for text in texts.values()] == [1, 1, 1]  # none twice
