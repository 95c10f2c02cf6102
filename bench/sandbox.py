"""How many requests per second the sandbox sustains, read and publish, 1 and N clients.

    .venv/bin/python bench/sandbox.py [--threads 8] [--servers werkzeug,gunicorn]

Starts the sandbox in a subprocess on 127.0.0.1 — `python -m channels.sandbox --port 0 --quiet`
(werkzeug's threaded server, what `publisher sandbox` runs) and, for comparison, gunicorn with
one gthread worker (the sandbox's state is in memory, so it must stay one process) — then for
each scenario runs client threads, each with its own keep-alive requests.Session, for a fixed
time and prints requests/second and latency percentiles. Clients and server share the machine's
CPUs. The measuring time is split so that a whole run stays under about 20 seconds.
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from channels.sandbox.app import settings_for

ROOT = Path(__file__).resolve().parent.parent
OAUTH = (
    'OAuth oauth_consumer_key="ck", oauth_token="123456-bench", '
    'oauth_signature_method="HMAC-SHA1", oauth_signature="x", oauth_version="1.0"'
)
PAGE_ID = "100000000000001"
PAGE_TOKEN = "sandbox-page-token"
Call = Callable[[requests.Session, int], requests.Response]
_numbers = itertools.count()  # unique across measurements: X refuses duplicate text


def start_werkzeug() -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start `python -m channels.sandbox` on a free port; return it and its printed settings."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "channels.sandbox", "--port", "0", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    settings: dict[str, str] = {}
    assert proc.stdout is not None
    while len(settings) < 5:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the sandbox did not start")
        name, _, value = line.strip().partition("=")
        settings[name] = value
    return proc, settings


def start_gunicorn(threads: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start the sandbox app under gunicorn (1 process, gthread); return it and its settings."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "1", "--threads",
         str(threads * 2), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "channels.sandbox.app:create_sandbox_app()"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{base}/_sandbox/faults", timeout=1)
            return proc, settings_for(base)
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def scenarios(settings: dict[str, str]) -> dict[str, Call]:
    """name → one request against the running sandbox."""
    x = settings["PUBLISHER_X_API_URL"]
    fb = settings["PUBLISHER_FACEBOOK_GRAPH_URL"] + "/v25.0"
    seed = requests.post(f"{x}/2/tweets", json={"text": "bench seed"},
                         headers={"Authorization": OAUTH}, timeout=5)  # fmt: skip
    seed.raise_for_status()
    tweet_id = seed.json()["data"]["id"]
    run_id = str(time.time_ns())

    def x_read(s: requests.Session, n: int) -> requests.Response:
        return s.get(f"{x}/2/tweets/{tweet_id}", params={"tweet.fields": "public_metrics"},
                     headers={"Authorization": OAUTH}, timeout=10)  # fmt: skip

    def x_publish(s: requests.Session, n: int) -> requests.Response:
        return s.post(f"{x}/2/tweets", json={"text": f"bench {run_id} {n}"},
                      headers={"Authorization": OAUTH}, timeout=10)  # fmt: skip

    def fb_publish(s: requests.Session, n: int) -> requests.Response:
        return s.post(f"{fb}/{PAGE_ID}/feed",
                      data={"message": f"bench {run_id} {n}", "access_token": PAGE_TOKEN},
                      timeout=10)  # fmt: skip

    return {
        "X GET /2/tweets/{id} (read)": x_read,
        "X POST /2/tweets (publish)": x_publish,
        "Facebook POST /{page}/feed (publish)": fb_publish,
    }


def measure(call: Call, threads: int, seconds: float) -> dict[str, float]:
    """Run `threads` clients for `seconds`; return rps, error count and latency percentiles."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine, bad = [], 0
        with requests.Session() as session:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    ok = call(session, next(_numbers)).status_code < 300
                except requests.RequestException:
                    ok = False
                mine.append(time.perf_counter() - started)
                bad += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    workers = [threading.Thread(target=client) for _ in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return {
        "rps": len(latencies) / elapsed,
        "errors": errors[0],
        "p50": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p95": pct(0.95) if latencies else 0.0,
    }


def main() -> None:
    """Start the sandbox, measure every scenario at 1 and N clients, print a table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients")
    parser.add_argument("--servers", default="werkzeug", help="werkzeug and/or gunicorn")
    parser.add_argument("--budget", type=float, default=16.0, help="seconds of measuring")
    args = parser.parse_args()
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    seconds = args.budget / (len(servers) * 3 * 2)
    print(f"{os.cpu_count()} CPUs, {seconds:.2f} s per row, clients and server on one machine")
    header = f"{'server':9} {'scenario':37} {'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
    print(header + f" {'errors':>6}")
    for server in servers:
        proc, settings = start_gunicorn(args.threads) if server == "gunicorn" else start_werkzeug()
        try:
            for name, call in scenarios(settings).items():
                for threads in (1, args.threads):
                    r = measure(call, threads, seconds)
                    print(f"{server:9} {name:37} {threads:>7} {r['rps']:>7.0f} {r['p50']:>7.1f} "
                          f"{r['p95']:>7.1f} {r['errors']:>6.0f}", flush=True)  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=5)


if __name__ == "__main__":
    main()
