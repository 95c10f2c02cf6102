"""Worker processes killed with SIGKILL at random moments and restarted: every delivery ends up
on the sandbox exactly once (counted from the sandbox's own records) or held with a reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash.py"


def _crash_module():
    spec = importlib.util.spec_from_file_location("bench_crash", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_killed_and_restarted_workers_publish_every_delivery_exactly_once(database_url, tmp_path):
    crash = _crash_module()
    # Every X create takes 0.5 s, so kills land while posts are in flight; X's duplicate-text
    # guard is off, so a post sent twice would be counted twice.
    server, sandbox_url = crash.start_sandbox(latency=0.5)
    try:
        result = crash.run_crash(database_url, sandbox_url, n=40, kills=6, workers=2,
                                 accounts=2, seed=7, timeout=50, log_dir=tmp_path,
                                 settings={"account_concurrency": 1})
    finally:
        server.shutdown()
    print(result.line())
    assert result.kills == 6
    assert result.interrupted >= 1  # the kills did cut publishing off mid-flight
    assert result.duplicates == 0
    assert result.lost == 0
    assert result.published + result.held == 40
