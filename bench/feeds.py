"""Requests per second for a municipality's Atom feed, 200 and 304 paths, under gunicorn.

    .venv/bin/python bench/feeds.py [--seconds 6] [--clients 4] [--items 40]

Builds a SQLite database with the organisation and `--items` public articles and events in
Halsnæs, starts gunicorn on 127.0.0.1 (2 gthread workers × 4 threads, as for 2 cores) with the
real app (`publisher.wsgi:app`), fetches /m/halsnaes/feed.atom once, then starts a second
gunicorn with the same settings serving a bare Flask endpoint that returns those same bytes
(bench/feed_bare_app.py). Each scenario runs `--clients` threads with keep-alive sessions for
`--seconds` and prints requests/second and the ratio publisher / bare, measured in the same run
(the machine is shared, so only the ratios compare across runs). Clients share the CPUs.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drafts.models import ChannelAccount  # noqa: E402
from drafts.service import create_draft  # noqa: E402
from drafts.states import transition  # noqa: E402
from drafts.validation import clean_draft_input  # noqa: E402
from publisher.config import load_organisation  # noqa: E402
from publisher.db import normalise_url  # noqa: E402
from publisher.flows.feeds.jobs import publish_changes  # noqa: E402
from publisher.migrate import upgrade  # noqa: E402
from publisher.seed import load_organisation as seed_organisation  # noqa: E402
from schedules.outbox import schedule_draft  # noqa: E402

PATH = "/m/halsnaes/feed.atom"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def build_database(url: str, items: int) -> None:
    """The organisation and `items` public articles and events in Halsnæs."""
    from zoneinfo import ZoneInfo

    upgrade(url)
    engine = create_engine(normalise_url(url))
    now = datetime.now(UTC)
    actor = ("system", None, "bench")
    with Session(engine) as db:
        org = load_organisation(ROOT / "config" / "organisation.toml")
        seed_organisation(db, org)
        db.commit()
        accounts = list(db.scalars(select(ChannelAccount).where(
            ChannelAccount.platform == "website")))
        slugs = {m["slug"] for m in org.municipalities}
        for n in range(items):
            raw = {"title": f"Koncert nummer {n} i Halsnæs", "kind": "event" if n % 2 else
                   "article", "body": "En aften med **musik** og fællessang. " * 8,
                   "initiative": "music", "municipalities": ["halsnaes"],
                   "channels": ["website"], "event_start": "2030-05-01 20:00",
                   "venue": "Kulturhuset"}
            data, errors = clean_draft_input(raw, zone=ZoneInfo("Europe/Copenhagen"),
                                             municipalities=slugs,
                                             initiatives={i["slug"] for i in org.initiatives})
            assert not errors, errors
            draft = create_draft(db, data, actor=actor, author_id=None, now=now)
            transition(db, draft, "approve", actor=actor, now=now)
            schedule_draft(db, draft, accounts, now, due_at=now - timedelta(minutes=n + 1))
        db.commit()
        publish_changes(db, now, "http://127.0.0.1:5000")
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(app: str, env: dict[str, str], chdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "gthread", "--threads", "4", "--log-level", "warning",
         "--chdir", str(chdir), app], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(base + PATH, timeout=15)  # the first answer builds the feed: slow
            return process, base
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn for {app} did not start")


def measure(url: str, headers: dict[str, str], expect: int, seconds: float,
            clients: int) -> float:
    """Requests per second over `clients` keep-alive threads for `seconds`."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        with requests.Session() as http:
            while time.monotonic() < stop:
                response = http.get(url, headers=headers, timeout=10)
                assert response.status_code == expect, response.status_code
                counts[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--items", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        build_database(url, args.items)
        env = {**os.environ, "PUBLISHER_DATABASE_URL": url, "PUBLISHER_SECRET_KEY": SECRET,
               "PUBLISHER_LOG_LEVEL": "WARNING", "PUBLISHER_BASE_URL": "http://127.0.0.1:5000",
               "PUBLISHER_UPLOAD_DIR": f"{tmp}/uploads"}
        app, base = start("publisher.wsgi:app", env, ROOT)
        try:
            first = requests.get(base + PATH, timeout=10)
            body, etag = first.content, first.headers["ETag"]
            Path(tmp, "feed.atom").write_bytes(body)
            figures = {
                "publisher 200": measure(base + PATH, {}, 200, args.seconds, args.clients),
                "publisher 304": measure(base + PATH, {"If-None-Match": etag}, 304,
                                         args.seconds, args.clients),
            }
        finally:
            app.terminate()
            app.wait(timeout=10)
        bare_env = {**env, "BENCH_FEED_FILE": f"{tmp}/feed.atom", "BENCH_FEED_ETAG": etag}
        bare, bare_base = start("feed_bare_app:app", bare_env, ROOT / "bench")
        try:
            assert requests.get(bare_base + PATH, timeout=10).content == body
            figures["bare 200"] = measure(bare_base + PATH, {}, 200, args.seconds, args.clients)
            figures["bare 304"] = measure(bare_base + PATH, {"If-None-Match": etag}, 304,
                                          args.seconds, args.clients)
        finally:
            bare.terminate()
            bare.wait(timeout=10)
    print(f"feed: {len(body)} bytes, {body.count(b'<entry>')} entries; "
          f"{args.clients} clients × {args.seconds:g} s per scenario")
    for name, value in figures.items():
        print(f"{name:>14}: {value:8.1f} req/s")
    for path in ("200", "304"):
        print(f"ratio publisher/bare ({path}): "
              f"{figures[f'publisher {path}'] / figures[f'bare {path}']:.2f}")


if __name__ == "__main__":
    main()
