"""The calendar's month view with many items against the queue page with 50 (issue 13).

    .venv/bin/python bench/month_view.py [--items 2000] [--rounds 15] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless --database-url names an empty
PostgreSQL database), puts `--items` drafts into one month (a third of them scheduled, with one
delivery per channel), logs in as an administrator through the real login form, and times full
GET requests through the Flask test client (routing, queries, templates): the month view of that
month, and the queue page with 50 drafts per page. Prints the median and p95 of each and the
ratio month/queue. Run both in one go: the machine is shared, so only the ratio compares.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drafts.models import (  # noqa: E402
    ChannelAccount,
    Draft,
    Initiative,
    Municipality,
    Role,
    User,
    draft_municipality,
)
from publisher import create_app  # noqa: E402
from publisher.auth import hash_password  # noqa: E402
from publisher.config import load_organisation  # noqa: E402
from publisher.db import normalise_url  # noqa: E402
from publisher.migrate import upgrade  # noqa: E402
from publisher.seed import load_organisation as seed_organisation  # noqa: E402
from schedules.models import Delivery  # noqa: E402

MONTH_START = datetime(2026, 3, 1, tzinfo=UTC)
PASSWORD = "bench passphrase that is long enough"


def fill(url: str, items: int) -> None:
    """Migrate, load the organisation, add an admin and `items` drafts in March 2026."""
    upgrade(url)
    engine = create_engine(normalise_url(url))
    with Session(engine) as db:
        seed_organisation(db, load_organisation(ROOT / "config" / "organisation.toml"))
        db.add(
            User(
                username="bench",
                name="Bench",
                role=Role.ADMIN.value,
                password_hash=hash_password(PASSWORD),
                created_at=datetime.now(UTC),
            )
        )
        db.commit()
        munis = list(db.scalars(select(Municipality.id)))
        initiatives = list(db.scalars(select(Initiative.id)))
        accounts = {a.platform: a.id for a in db.scalars(select(ChannelAccount))}
        channels = [c for c in ("facebook", "website", "newsletter") if c in accounts]
        now = datetime.now(UTC)
        rows = []
        for n in range(items):
            when = MONTH_START + timedelta(minutes=(n * 30 * 24 * 60) // items)
            rows.append(
                {
                    "kind": "post",
                    "title": f"Opslag nummer {n}",
                    "body": "Tekst",
                    "link": "",
                    "initiative_id": initiatives[n % len(initiatives)],
                    "status": "scheduled" if n % 3 == 0 else "approved",
                    "channels": channels[: 1 + n % len(channels)],
                    "desired_at": when,
                    "version": 1,
                    "content_hash": f"{n:064x}",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.execute(insert(Draft), rows)
        ids = list(db.scalars(select(Draft.id).order_by(Draft.id)))
        db.execute(
            insert(draft_municipality),
            [{"draft_id": d, "municipality_id": munis[i % len(munis)]} for i, d in enumerate(ids)],
        )
        deliveries = []
        for i, (draft_id, row) in enumerate(zip(ids, rows, strict=True)):
            if row["status"] != "scheduled":
                continue
            for channel in row["channels"]:
                deliveries.append(
                    {
                        "draft_id": draft_id,
                        "account_id": accounts[channel],
                        "channel": channel,
                        "due_at": row["desired_at"],
                        "marker": f"bench-{i}-{channel}",
                        "state": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        if deliveries:
            db.execute(insert(Delivery), deliveries)
        db.commit()
    engine.dispose()


def timed(client: Any, path: str, rounds: int) -> list[float]:
    """Milliseconds per GET of `path` (one warm-up first)."""
    assert client.get(path).status_code == 200
    found = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        found.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return found


def login(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.status_code


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        fill(url, args.items)
        app = create_app(
            {
                "database_url": url,
                "secret_key": "bench-" + "0" * 40,
                "session_cookie_secure": False,
                "page_size": 50,
                "log_format": "text",
                "log_level": "WARNING",
            }
        )
        client = app.test_client()
        login(client)
        month = timed(client, "/calendar?view=month&day=2026-03-01", args.rounds)
        queue = timed(client, "/queue", args.rounds)
        body = client.get("/calendar?view=month&day=2026-03-01").get_data(as_text=True)
        shown = body.count('<li class="cal-item ')
        app.extensions["db_engine"].dispose()
    print(f"database: {url.split(':', 1)[0]}; items in the month: {args.items}, shown: {shown}")
    for name, values in (("month view", month), ("queue (50/page)", queue)):
        print(f"{name:18} median {statistics.median(values):7.1f} ms   p95 {p95(values):7.1f} ms")
    print(f"ratio month/queue (median): {statistics.median(month) / statistics.median(queue):.2f}")


if __name__ == "__main__":
    main()
