"""Crash test at scale: worker processes are SIGKILLed at random moments and restarted while they
publish to the sandbox; at the end every delivery must be on the sandbox exactly once, or held
with a reason. Prints N, kills, duplicates (must be 0) and lost (must be 0).

    .venv/bin/python bench/crash.py [--n 1000] [--workers 3] [--kills 30] [--accounts 8]
                                    [--latency 0.05] [--database-url postgresql://…]

Without --database-url it uses a fresh SQLite file. The sandbox runs in this process (a threaded
HTTP server) with X's duplicate-text guard switched off, so a post sent twice shows up twice
instead of being refused; the workers are `python bench/crash.py worker …` subprocesses that
publish through the real X adapter (tweepy over HTTP). tests/schedules/test_crash.py runs the
same `run_crash` with small N.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from channels.base import Account, ChannelSettings  # noqa: E402
from channels.sandbox.app import create_sandbox_app, settings_for  # noqa: E402
from channels.sandbox.core import Faults, Store  # noqa: E402
from channels.sandbox.server import QuietRequestHandler  # noqa: E402
from channels.x import XAdapter  # noqa: E402
from drafts.models import ChannelAccount as Accounts  # noqa: E402
from drafts.models import Draft, Initiative, utcnow  # noqa: E402
from publisher.db import make_engine  # noqa: E402
from schedules.models import Attempt, Delivery  # noqa: E402
from schedules.outbox import schedule_draft  # noqa: E402

ACTOR = ("system", None, "crash-bench")
FIRST_USER = 1800000000000000000
# Short leases and ticks so that a killed worker's deliveries are reconciled within seconds.
WORKER_SETTINGS: dict[str, Any] = {
    "tick_seconds": 0.1, "lease_seconds": 2.0, "unconfirmed_delay": 0.2, "backoff_base": 0.2,
    "backoff_cap": 1.0, "max_attempts": 20, "pool_size": 16, "account_concurrency": 2,
    "account_rate": 1000.0, "account_burst": 1000, "grace_seconds": 1.0,
    "leader_interval": 0.5, "leader_ttl": 2.0,
}


@dataclass
class Result:
    n: int
    kills: int
    duplicates: int
    lost: int
    published: int
    held: int
    interrupted: int  # attempts a kill cut off (left "started")
    reconciled: int  # find_existing calls made before sending again
    seconds: float

    def line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in asdict(self).items())


# the sandbox ------------------------------------------------------------------------------------


def start_sandbox(latency: float = 0.0) -> tuple[BaseWSGIServer, str]:
    """A sandbox in a thread of this process, with X's duplicate guard off; return it and URL."""
    app = create_sandbox_app(Store(), Faults())
    app.config["SANDBOX_X_DUPLICATE_WINDOW"] = 0.0
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=QuietRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    set_publish_latency(url, latency)
    return server, url


def set_publish_latency(sandbox_url: str, seconds: float) -> None:
    """Make every X create take `seconds`, so that kills land while posts are in flight."""
    if seconds > 0:
        rule = {"platform": "x", "op": "publish", "kind": "latency", "seconds": seconds}
        requests.post(f"{sandbox_url}/_sandbox/faults", json=rule, timeout=5).raise_for_status()


def sandbox_posts(sandbox_url: str) -> dict[str, int]:
    """How many times each text was posted on the sandbox's X, from its own records."""
    state = requests.get(f"{sandbox_url}/_sandbox/state", params={"platform": "x"}, timeout=30)
    state.raise_for_status()
    tweets = state.json()["platforms"].get("x", {}).get("tweets", {}).get("items", [])
    counts: dict[str, int] = {}
    for tweet in tweets:
        counts[tweet["raw_text"]] = counts.get(tweet["raw_text"], 0) + 1
    return counts


# the worker subprocess ----------------------------------------------------------------------


def x_factory(sandbox_url: str) -> Any:
    settings = ChannelSettings(base_url=settings_for(sandbox_url)["PUBLISHER_X_API_URL"],
                               timeout=10.0)

    def factory(acc: Accounts) -> XAdapter:
        credentials = {"bearer_token": f"{acc.external_id}-crash"}
        return XAdapter(Account("x", acc.name, acc.external_id, credentials), settings)

    return factory


def worker_main(database_url: str, sandbox_url: str, worker_id: str,
                settings: dict[str, Any]) -> None:
    """Run one worker until SIGTERM (the process under test)."""
    from schedules.worker import run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_forever(make_engine(database_url), x_factory(sandbox_url), settings,
                worker_id=worker_id)


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log: Path

    def ready(self) -> bool:
        """The worker has started ticking (it logs "started" once its scheduler runs)."""
        return self.log.exists() and b" started" in self.log.read_bytes()


def spawn(database_url: str, sandbox_url: str, worker_id: str, log_dir: Path,
          settings: dict[str, Any]) -> Proc:
    """Start one worker process; its output goes to log_dir/<worker_id>.log."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    path = log_dir / f"{worker_id}.log"
    with open(path, "ab") as log:  # the child keeps its own copy
        popen = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "worker", "--database-url",
             database_url, "--sandbox-url", sandbox_url, "--worker-id", worker_id,
             "--settings", json.dumps(settings)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    return Proc(popen, path)


# the run ----------------------------------------------------------------------------------------


def schedule(database_url: str, n: int, accounts: int, run_id: str) -> dict[int, str]:
    """Schedule `n` posts over `accounts` X accounts, due now; return delivery id → text."""
    engine = make_engine(database_url)
    texts: dict[int, str] = {}
    with Session(engine) as s:
        initiative = s.scalars(select(Initiative)).first()
        assert initiative is not None, "the organisation must be loaded"
        accs = []
        for a in range(accounts):
            external = str(FIRST_USER + a)
            acc = s.scalar(select(Accounts).where(Accounts.platform == "x",
                                                  Accounts.external_id == external))
            if acc is None:
                acc = Accounts(platform="x", external_id=external, name=f"crash {a}")
                s.add(acc)
            accs.append(acc)
        s.flush()
        now = utcnow()
        for i in range(n):
            title = f"Crash {run_id} nr. {i}"
            draft = Draft(title=title, body="", initiative_id=initiative.id, channels=["x"],
                          status="approved", content_hash=f"{run_id}-{i}", created_at=now,
                          updated_at=now)
            s.add(draft)
            s.flush()
            [delivery] = schedule_draft(s, draft, [accs[i % accounts]], now,
                                        due_at=now - timedelta(seconds=1), actor=ACTOR)
            texts[delivery.id] = title
            if i % 500 == 499:
                s.commit()
        s.commit()
    engine.dispose()
    return texts


def open_count(database_url: str, ids: list[int]) -> int:
    engine = make_engine(database_url)
    with Session(engine) as s:
        count = s.scalar(select(func.count(Delivery.id)).where(
            Delivery.id.in_(ids), Delivery.status.in_(["scheduled", "running", "unconfirmed"])))
    engine.dispose()
    return int(count or 0)


def outcome(database_url: str, sandbox_url: str, texts: dict[int, str], kills: int,
            seconds: float) -> Result:
    """Compare the deliveries with the sandbox's own records."""
    posted = sandbox_posts(sandbox_url)
    engine = make_engine(database_url)
    with Session(engine) as s:
        rows = s.execute(select(Delivery.id, Delivery.status, Delivery.held_reason)
                         .where(Delivery.id.in_(list(texts)))).all()
        tries = dict(s.execute(
            select(Attempt.outcome, func.count(Attempt.id))
            .where(Attempt.delivery_id.in_(list(texts)))
            .group_by(Attempt.outcome)).all())
        reconciled = s.scalar(select(func.count(Attempt.id)).where(
            Attempt.delivery_id.in_(list(texts)), Attempt.action == "reconcile")) or 0
    engine.dispose()
    duplicates = sum(max(0, posted.get(text, 0) - 1) for text in texts.values())
    published = held = lost = 0
    for delivery_id, status, held_reason in rows:
        times = posted.get(texts[delivery_id], 0)
        if status == "published" and times >= 1:
            published += 1
        elif status == "held" and held_reason:
            held += 1
        else:
            lost += 1
    return Result(len(texts), kills, duplicates, lost, published, held,
                  tries.get("started", 0), reconciled, round(seconds, 1))


def run_crash(
    database_url: str, sandbox_url: str, *, n: int = 40, kills: int = 6, workers: int = 2,
    accounts: int = 4, seed: int = 1, kill_after: tuple[float, float] = (0.1, 1.0),
    timeout: float = 120.0, log_dir: Path | None = None, settings: dict[str, Any] | None = None,
) -> Result:
    """Schedule `n` posts and run `workers` worker processes; `kills` times, pick one, wait until
    it is working, let it work a random while, SIGKILL it and start a new one. Then wait for
    the queue to settle and compare the deliveries with the sandbox's records."""
    rng = random.Random(seed)
    knobs = {**WORKER_SETTINGS, **(settings or {})}
    run_id = f"{seed}-{int(time.time() * 1000) % 100000000}"
    texts = schedule(database_url, n, accounts, run_id)
    ids = list(texts)
    logs = log_dir or Path(tempfile.mkdtemp(prefix="crash-"))
    started = time.monotonic()
    procs = [spawn(database_url, sandbox_url, f"w{i}", logs, knobs) for i in range(workers)]
    done = 0
    try:
        while done < kills and open_count(database_url, ids):
            victim = rng.randrange(workers)
            deadline = time.monotonic() + 30
            while not procs[victim].ready() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(*kill_after))
            procs[victim].popen.send_signal(signal.SIGKILL)
            procs[victim].popen.wait()
            done += 1
            procs[victim] = spawn(database_url, sandbox_url, f"w{victim}-{done}", logs, knobs)
        while open_count(database_url, ids) and time.monotonic() - started < timeout:
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.popen.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.popen.wait(15)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
    return outcome(database_url, sandbox_url, texts, done, time.monotonic() - started)


def prepare(url: str = "") -> str:
    """Migrate (and load the organisation into) `url`, or a fresh SQLite file; return the URL."""
    from publisher.config import load_organisation
    from publisher.migrate import upgrade
    from publisher.seed import load_organisation as seed

    url = url or f"sqlite:///{tempfile.mkdtemp(prefix='crash-db-')}/crash.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        seed(s, load_organisation(ROOT / "config" / "organisation.toml"))
        s.commit()
    engine.dispose()
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "worker"])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sandbox-url", default="")
    parser.add_argument("--worker-id", default="w")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per X create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2, help="per account per worker")
    parser.add_argument("--settings", default="{}", help="worker settings as JSON (internal)")
    args = parser.parse_args(argv)
    if args.mode == "worker":
        worker_main(args.database_url, args.sandbox_url, args.worker_id,
                    json.loads(args.settings))
        return 0
    database_url = prepare(args.database_url)
    server, sandbox_url = start_sandbox(args.latency)
    try:
        result = run_crash(database_url, sandbox_url, n=args.n, kills=args.kills,
                           workers=args.workers, accounts=args.accounts, seed=args.seed,
                           timeout=max(120.0, args.n * 0.5),
                           settings={"account_concurrency": args.concurrency})
    finally:
        server.shutdown()
    print(f"database={database_url.split(':')[0]} {result.line()}")
    return 0 if result.duplicates == 0 and result.lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
