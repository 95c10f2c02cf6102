"""Dispatch benchmark (issue 4): drain time of a burst, lateness of a steady stream, CPU per
delivery in our code, and a worker's peak memory.

    .venv/bin/python bench/dispatch.py [all|drain|stream] [--n 10000] [--accounts 10]
        [--concurrency 4] [--latency 0.1] [--duration 300] [--rate 1] [--workers 1]
        [--database-url postgresql://…]

(a) drain: N deliveries over A X accounts are made due at once; the worker runs A × C platform
    calls at a time (per-account concurrency C, a pool of A × C threads, no rate limit). Drain
    time is from the moment they are due to the last `published_at`; the ideal is
    N × latency / (A × C × workers), what the platform's latency alone allows; ratio = drain /
    ideal.
(b) stream: one delivery due every 1/rate seconds for `duration` seconds. Lateness per delivery:
    start (its publish attempt opened, right after the claim) − due, and published − due;
    p50 / p99 / max.
(c) CPU: user + system CPU of the worker process(es) while (a) drains, from /proc, divided by N.
    The sandbox and the database server are other processes, so their CPU is not ours; the
    platform's latency is time asleep, not CPU. "Ours" is the worker process: the schedules code
    and what it drives (SQLAlchemy, the DB driver, tweepy/requests for the HTTP call).
(d) memory: the worker's peak resident set (VmHWM) during (a).

The sandbox runs as its own process (`python -m channels.sandbox --latency L`), so every X
create takes `latency` seconds; workers are `bench/dispatch.py worker …` subprocesses running
schedules.worker.main with the service's adapter factory, logging at INFO to files as in
production. Without --database-url each scenario gets a fresh SQLite file; with it, the database
is migrated, and it must have no open deliveries of its own (they would be drained too).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select, update
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drafts.models import ChannelAccount, Draft, Initiative  # noqa: E402
from publisher.db import make_engine, normalise_url  # noqa: E402
from schedules.models import Attempt, Delivery, new_marker  # noqa: E402

FIRST_USER = 1900000000000000000
OPEN = ("scheduled", "running", "unconfirmed")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def utcnow() -> datetime:
    return datetime.now(UTC)


# the machine and the processes ---------------------------------------------------------------


def machine() -> str:
    """nproc, CPU model and RAM, for the report."""
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        kb = int(meminfo.readline().split()[1])
    return f"nproc={os.cpu_count()} cpu={model!r} ram={kb / 1024 / 1024:.1f}GiB"


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_sandbox(latency: float) -> tuple[subprocess.Popen[str], str]:
    """`python -m channels.sandbox` on a free port with a base latency; return it and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "channels.sandbox", "--port", "0", "--quiet", "--latency",
         str(latency)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    for _ in range(10):
        name, _, value = proc.stdout.readline().strip().partition("=")
        if name == "PUBLISHER_X_API_URL":
            return proc, value.removesuffix("/x")
    proc.kill()
    raise SystemExit("the sandbox did not start")


@dataclass
class WorkerProc:
    popen: subprocess.Popen[bytes]
    log: Path

    def ready(self) -> bool:
        return self.log.exists() and b" started" in self.log.read_bytes()


def spawn_worker(database_url: str, sandbox_url: str, worker_id: str, log_dir: Path,
                 settings: dict[str, Any]) -> WorkerProc:
    log = log_dir / f"{worker_id}.log"
    with open(log_dir / f"{worker_id}.stderr", "ab") as stderr:  # e.g. APScheduler's warnings
        popen = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "worker", "--database-url",
             database_url, "--sandbox-url", sandbox_url, "--worker-id", worker_id, "--log",
             str(log), "--settings", json.dumps(settings)],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    return WorkerProc(popen, log)


def start_workers(database_url: str, sandbox_url: str, count: int, log_dir: Path,
                  settings: dict[str, Any]) -> list[WorkerProc]:
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = [spawn_worker(database_url, sandbox_url, f"w{i}", log_dir, settings)
             for i in range(count)]
    deadline = time.monotonic() + 60
    while not all(p.ready() for p in procs):
        if time.monotonic() > deadline or any(p.popen.poll() is not None for p in procs):
            stop_workers(procs)
            raise SystemExit(f"the workers did not start; see {log_dir}")
        time.sleep(0.1)
    return procs


def stop_workers(procs: list[WorkerProc]) -> None:
    for proc in procs:
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.popen.wait(60)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait()


def profile_threads(out: Path) -> Any:
    """Profile every thread of this process by its own CPU time (cProfile with thread_time).

    cProfile hooks one thread only, so each thread started from now on runs under its own
    profiler; the returned `dump()` merges them (and the calling thread's) into `out`.
    """
    import cProfile
    import threading

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        prof = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(prof)
        prof.enable()
        try:
            run(self)
        finally:
            prof.disable()

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    main_prof = cProfile.Profile(time.thread_time)
    profiles.append(main_prof)
    main_prof.enable()

    def dump() -> None:
        import pstats

        main_prof.disable()
        with lock:
            for prof in profiles:  # a thread still running stops being counted here
                prof.disable()
            stats = pstats.Stats(profiles[0])
            for prof in profiles[1:]:
                stats.add(prof)
        stats.dump_stats(str(out))

    return dump


def print_profile(path: Path, top: int, deliveries: int) -> None:
    """The top of a merged worker profile, by cumulative CPU, with ms per delivery."""
    import io
    import pstats

    stats = pstats.Stats(str(path), stream=io.StringIO())
    stats.sort_stats("cumulative")
    rows = []
    for key in stats.fcn_list[:top]:  # type: ignore[attr-defined]
        calls, _prim, tottime, cumtime, _callers = stats.stats[key]  # type: ignore[attr-defined]
        name = f"{Path(key[0]).name}:{key[1]}({key[2]})"
        rows.append(f"{cumtime / deliveries * 1000:9.3f} {tottime / deliveries * 1000:9.3f} "
                    f"{calls / deliveries:9.2f}  {name}")
    print(f"profile (worker CPU by thread_time, per delivery; N={deliveries}; {path})")
    print(f"{'cum ms':>9} {'own ms':>9} {'calls':>9}  function")
    print("\n".join(rows), flush=True)


def worker_main(database_url: str, sandbox_url: str, worker_id: str, log: str,
                settings: dict[str, Any]) -> None:
    """One worker until SIGTERM: schedules.worker.main with the service's adapter factory."""
    profile_out = settings.pop("profile_out", None)
    dump = profile_threads(Path(profile_out) / f"{worker_id}.prof") if profile_out else None
    from publisher.config import load_settings
    from publisher.flows.accounts import adapter_factory
    from schedules.worker import main

    handler = logging.FileHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("schedules", "channels"):  # as publisher.logs does; apscheduler stays quiet
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    service = load_settings(env={}, overrides={"secret_key": "bench-" * 6, "channel_timeout": 30.0,
                                               "x_api_url": f"{sandbox_url}/x"})
    factory = adapter_factory(service, lambda env: {"bearer_token": f"{env.split('_')[-1]}-b"})
    engine = make_engine(database_url, pool_size=int(settings.get("pool_size", 8)) + 4,
                         max_overflow=10)
    try:
        main(engine, factory, settings, worker_id=worker_id)
    finally:
        if dump is not None:
            dump()


# the queue --------------------------------------------------------------------------------------


def prepare(url: str, work_dir: Path, name: str) -> str:
    """Migrate `url` (or a fresh SQLite file) and load the organisation; return the URL."""
    from publisher.config import load_organisation
    from publisher.migrate import upgrade
    from publisher.seed import load_organisation as seed

    url = url or f"sqlite:///{work_dir / name}.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        seed(s, load_organisation(ROOT / "config" / "organisation.toml"))
        s.commit()
        busy = s.scalar(select(func.count(Delivery.id)).where(Delivery.status.in_(OPEN)))
    engine.dispose()
    if busy:
        raise SystemExit(f"{url} has {busy} open deliveries of its own; use an empty database")
    return url


def accounts(session: Session, count: int) -> list[int]:
    """`count` X accounts (created once); return their ids."""
    ids = []
    for a in range(count):
        external = str(FIRST_USER + a)
        acc = session.scalar(select(ChannelAccount).where(
            ChannelAccount.platform == "x", ChannelAccount.external_id == external))
        if acc is None:
            acc = ChannelAccount(platform="x", external_id=external, name=f"bench {a}",
                                 credentials_env=f"BENCH_X_{external}")
            session.add(acc)
            session.flush()
        ids.append(acc.id)
    return ids


def insert_queue(url: str, account_count: int, due: list[datetime]) -> tuple[int, int]:
    """Scheduled drafts with one X delivery each, due at `due[i]`; return the id range."""
    engine = make_engine(url)
    run = f"{int(time.time() * 1000) % 10**9}"
    with Session(engine) as s:
        initiative = s.scalars(select(Initiative)).first()
        assert initiative is not None, "the organisation must be loaded"
        account_ids = accounts(s, account_count)
        now = utcnow()
        ids: list[int] = []
        for start in range(0, len(due), 2000):
            chunk = range(start, min(len(due), start + 2000))
            drafts = s.scalars(insert(Draft).returning(Draft.id, sort_by_parameter_order=True), [
                {"title": f"Bench {run} nr. {i}", "body": "", "initiative_id": initiative.id,
                 "channels": ["x"], "status": "scheduled", "content_hash": f"{run}-{i}",
                 "created_at": now, "updated_at": now} for i in chunk]).all()
            rows = [
                {"draft_id": draft_id, "account_id": account_ids[i % account_count],
                 "channel": "x", "due_at": due[i], "content_hash": f"{run}-{i}",
                 "marker": new_marker(), "state": {}, "created_at": now, "updated_at": now}
                for i, draft_id in zip(chunk, drafts, strict=True)
            ]
            ids += s.scalars(insert(Delivery).returning(Delivery.id,
                                                        sort_by_parameter_order=True), rows)
        s.commit()
    engine.dispose()
    return min(ids), max(ids)


def make_due(url: str, id_range: tuple[int, int]) -> datetime:
    """Make every delivery in the range due now, in one transaction; return that moment."""
    engine = make_engine(url)
    with Session(engine) as s:
        now = utcnow()
        s.execute(update(Delivery).where(Delivery.id.between(*id_range)).values(due_at=now))
        s.commit()
    engine.dispose()
    return now


def open_count(peek: Engine, id_range: tuple[int, int]) -> int:
    with Session(peek) as s:
        return int(s.scalar(select(func.count(Delivery.id)).where(
            Delivery.id.between(*id_range), Delivery.status.in_(OPEN))) or 0)


def wait_drained(peek: Engine, id_range: tuple[int, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while open_count(peek, id_range):
        if time.monotonic() > deadline:
            raise SystemExit(f"not drained after {timeout:.0f} s")
        time.sleep(0.2)


def peek_engine(url: str) -> Engine:
    """A plain engine for reading while the workers write (no BEGIN IMMEDIATE on SQLite)."""
    return create_engine(normalise_url(url))


def statuses(peek: Engine, id_range: tuple[int, int]) -> dict[str, int]:
    with Session(peek) as s:
        return dict(s.execute(select(Delivery.status, func.count()).where(
            Delivery.id.between(*id_range)).group_by(Delivery.status)).all())


# the scenarios ----------------------------------------------------------------------------------


def worker_settings(args: argparse.Namespace) -> dict[str, Any]:
    pool = args.pool_size or args.accounts * args.concurrency
    settings = {"pool_size": pool, "account_concurrency": args.concurrency,
                "account_rate": 1e6, "account_burst": 10**6, "lease_seconds": 300.0,
                "max_lateness": 86400.0}
    settings.update(json.loads(args.settings))
    return settings


def drain(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    """(a), (c), (d): N due at once; drain time, CPU per delivery, peak RSS."""
    url = prepare(args.database_url, work_dir, "drain")
    far = utcnow() + timedelta(days=1)
    id_range = insert_queue(url, args.accounts, [far] * args.n)
    sandbox, sandbox_url = start_sandbox(args.latency)
    peek = peek_engine(url)
    settings = worker_settings(args)
    if args.profile:  # each worker writes its own merged profile; the first is printed
        settings["profile_out"] = str(work_dir)
    procs = start_workers(url, sandbox_url, args.workers, work_dir / "drain-logs", settings)
    try:
        cpu_before = [cpu_seconds(p.popen.pid) for p in procs]
        sandbox_before = cpu_seconds(sandbox.pid)
        wall = time.monotonic()
        due_at = make_due(url, id_range)
        ideal = args.n * args.latency / (args.accounts * args.concurrency * args.workers)
        wait_drained(peek, id_range, max(600.0, ideal * 30))
        wall = time.monotonic() - wall
        cpu = sum(cpu_seconds(p.popen.pid) - b for p, b in zip(procs, cpu_before, strict=True))
        rss = max(peak_rss_mb(p.popen.pid) for p in procs)
        sandbox_cpu = cpu_seconds(sandbox.pid) - sandbox_before
    finally:
        stop_workers(procs)
        sandbox.terminate()
        sandbox.wait(10)
    with Session(peek) as s:
        last = s.scalar(select(func.max(Delivery.published_at)).where(
            Delivery.id.between(*id_range)))
    assert last is not None
    seconds = (last - due_at).total_seconds()
    result = {
        "scenario": "drain", "database": url.split(":")[0], "n": args.n,
        "accounts": args.accounts, "concurrency": args.concurrency, "workers": args.workers,
        "pool_size": settings["pool_size"], "latency": args.latency,
        "drain_s": round(seconds, 2), "wall_s": round(wall, 2), "ideal_s": round(ideal, 2),
        "ratio": round(seconds / ideal, 2), "per_second": round(args.n / seconds, 1),
        "cpu_ms_per_delivery": round(cpu / args.n * 1000, 2),
        "sandbox_cpu_ms_per_delivery": round(sandbox_cpu / args.n * 1000, 2),
        "peak_rss_mb": round(rss, 1), "statuses": statuses(peek, id_range),
    }
    peek.dispose()
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def stream(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    """(b): one delivery due every 1/rate s for `duration` s; lateness percentiles."""
    url = prepare(args.database_url, work_dir, "stream")
    sandbox, sandbox_url = start_sandbox(args.latency)
    peek = peek_engine(url)
    settings = worker_settings(args)
    procs = start_workers(url, sandbox_url, args.workers, work_dir / "stream-logs", settings)
    count = max(1, int(args.duration * args.rate))
    try:
        cpu_before = [cpu_seconds(p.popen.pid) for p in procs]
        first = utcnow() + timedelta(seconds=3)
        id_range = insert_queue(url, args.accounts,
                                [first + timedelta(seconds=i / args.rate) for i in range(count)])
        wait_drained(peek, id_range, args.duration + 120)
        cpu = sum(cpu_seconds(p.popen.pid) - b for p, b in zip(procs, cpu_before, strict=True))
    finally:
        stop_workers(procs)
        sandbox.terminate()
        sandbox.wait(10)
    with Session(peek) as s:
        rows = s.execute(
            select(Delivery.due_at, Delivery.published_at, func.min(Attempt.started_at))
            .join(Attempt, Attempt.delivery_id == Delivery.id)
            .where(Delivery.id.between(*id_range), Delivery.published_at.is_not(None))
            .group_by(Delivery.id, Delivery.due_at, Delivery.published_at)).all()
    start = [(started - due).total_seconds() for due, _, started in rows]
    published = [(done - due).total_seconds() for due, done, _ in rows]
    result = {
        "scenario": "stream", "database": url.split(":")[0], "deliveries": count,
        "rate_per_s": args.rate, "duration_s": args.duration, "latency": args.latency,
        "tick_seconds": settings.get("tick_seconds", 1.0), "published": len(rows),
        "statuses": statuses(peek, id_range),
        "cpu_ms_per_delivery_incl_idle": round(cpu / count * 1000, 2),
    }
    for name, values in (("start_late", start), ("publish_late", published)):
        result[f"{name}_p50_s"] = round(statistics.median(values), 3)
        result[f"{name}_p99_s"] = round(percentile(values, 99), 3)
        result[f"{name}_max_s"] = round(max(values), 3)
    peek.dispose()
    return result


def report(result: dict[str, Any]) -> None:
    print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="all",
                        choices=["all", "drain", "stream", "worker"])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--n", type=int, default=10000, help="deliveries in (a)")
    parser.add_argument("--accounts", type=int, default=10, help="X accounts (A)")
    parser.add_argument("--concurrency", type=int, default=4, help="per account per worker (C)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per platform call")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of (b)")
    parser.add_argument("--rate", type=float, default=1.0, help="deliveries due per second (b)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--pool-size", type=int, default=0, help="per worker (default A × C)")
    parser.add_argument("--settings", default="{}", help="more worker settings as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--profile", action="store_true",
                        help="drain: run the worker under cProfile (per-thread CPU time) and "
                             "print the top of the profile (inflates the CPU figures)")
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument("--sandbox-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--worker-id", default="w", help=argparse.SUPPRESS)
    parser.add_argument("--log", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode == "worker":
        worker_main(args.database_url, args.sandbox_url, args.worker_id, args.log,
                    json.loads(args.settings))
        return 0
    work_dir = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))
    print(machine(), f"work_dir={work_dir}", flush=True)
    if args.mode in ("all", "drain"):
        report(drain(args, work_dir))
        if args.profile:
            print_profile(work_dir / "w0.prof", args.profile_top, args.n)
    if args.mode in ("all", "stream"):
        report(stream(args, work_dir))
    if not args.keep:
        import shutil

        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
