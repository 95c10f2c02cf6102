"""Claim benchmark (issue 14): does a claim cost the same with 100 and with 100,000 due?

    .venv/bin/python bench/claim.py [--small 100] [--large 100000] [--limit 40] [--rounds 30]
        [--database-url postgresql://…]

The same table is measured twice: with `small` deliveries due, then after adding more to make
`large` due (over 10 accounts, due in the past, a tenth of them retries with a next_attempt_at).
Per size it prints the median and p90 of, over `rounds` rounds:
  find_due  the claim query, `schedules.claim.find_due` (on PostgreSQL with its row locks), and
  claim     a whole claim, `schedules.claim.take_due` of `limit` (query + conditional UPDATEs),
            rolled back each round so the backlog stays the same;
  sort_all  for comparison, the claim query as it was before issue 14 (one query over every
            status ordered by the effective due time, which must sort the whole due backlog);
and the ratio large / small of each. Without --database-url a fresh SQLite file is used; a
PostgreSQL database must have no open deliveries of its own (the rows made here are deleted at
the end). On PostgreSQL the table is ANALYZEd after each insert, as autovacuum soon would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drafts.models import ChannelAccount, Draft, Initiative  # noqa: E402
from publisher.db import make_engine  # noqa: E402
from schedules.claim import D, due_condition, find_due, take_due  # noqa: E402
from schedules.models import Delivery, new_marker  # noqa: E402

OPEN = ("scheduled", "running", "unconfirmed")


def sort_all(session: Session, now: datetime, limit: int, lock: bool) -> list[int]:
    """The claim query before issue 14, for comparison: one query, sorting all that is due."""
    query = (
        select(D.id, D.status, D.account_id)
        .where(due_condition(now))
        .order_by(func.coalesce(D.next_attempt_at, D.due_at), D.id)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return [row[0] for row in session.execute(query)]


def prepare(url: str) -> tuple[int, list[int]]:
    """Migrate, load the organisation, one draft and 10 X accounts; return their ids."""
    from publisher.config import load_organisation
    from publisher.migrate import upgrade
    from publisher.seed import load_organisation as seed

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        seed(s, load_organisation(ROOT / "config" / "organisation.toml"))
        s.commit()
        if s.scalar(select(func.count(D.id)).where(D.status.in_(OPEN))):
            raise SystemExit(f"{url} has open deliveries of its own; use an empty database")
        initiative = s.scalars(select(Initiative)).first()
        assert initiative is not None
        now = datetime.now(UTC)
        draft = Draft(
            title="Claim bench",
            body="",
            initiative_id=initiative.id,
            channels=["x"],
            status="scheduled",
            content_hash="claim-bench",
            created_at=now,
            updated_at=now,
        )
        s.add(draft)
        accounts = []
        for a in range(10):
            external = str(1800000000000000000 + a)
            acc = s.scalar(
                select(ChannelAccount).where(
                    ChannelAccount.platform == "x", ChannelAccount.external_id == external
                )
            )
            if acc is None:
                acc = ChannelAccount(
                    platform="x",
                    external_id=external,
                    name=f"claim bench {a}",
                    credentials_env=f"BENCH_X_{external}",
                )
                s.add(acc)
            accounts.append(acc)
        s.commit()
        ids = (draft.id, [acc.id for acc in accounts])
    engine.dispose()
    return ids


def add_due(url: str, draft_id: int, accounts: list[int], start: int, stop: int) -> None:
    """Deliveries number start..stop-1, all due in the past; every tenth a retry now due."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    with Session(engine) as s:
        for first in range(start, stop, 5000):
            s.execute(
                insert(Delivery),
                [
                    {
                        "draft_id": draft_id,
                        "account_id": accounts[i % len(accounts)],
                        "channel": "x",
                        "due_at": now - timedelta(hours=1, seconds=i),
                        "next_attempt_at": now - timedelta(seconds=i % 600)
                        if i % 10 == 0
                        else None,
                        "content_hash": "claim-bench",
                        "marker": new_marker(),
                        "state": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(first, min(stop, first + 5000))
                ],
            )
        s.commit()
        if engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk insert; with the statistics of the small
            # table, the planner walks the (status, due_at) index instead and sorts everything.
            s.execute(text("ANALYZE delivery"))
            s.commit()
    engine.dispose()


def measure(url: str, limit: int, rounds: int) -> dict[str, list[float]]:
    """Milliseconds per round of the three operations, each in its own rolled-back transaction."""
    engine = make_engine(url)
    lock = engine.dialect.name == "postgresql"
    times: dict[str, list[float]] = {"find_due": [], "claim": [], "sort_all": []}
    with Session(engine) as s:
        for _ in range(rounds):
            for name in times:
                now = datetime.now(UTC)
                t0 = time.perf_counter()
                if name == "find_due":
                    got = len(find_due(s, now, limit * 4, lock=lock))
                elif name == "claim":
                    got = len(take_due(s, now, "bench", limit, 300.0, default_capacity=4))
                else:
                    got = len(sort_all(s, now, limit * 4, lock))
                times[name].append((time.perf_counter() - t0) * 1000)
                s.rollback()
                assert got > 0, name
    engine.dispose()
    return times


def cleanup(url: str, draft_id: int) -> None:
    engine = make_engine(url)
    with Session(engine) as s:
        s.execute(delete(Delivery).where(Delivery.draft_id == draft_id))
        s.execute(delete(Draft).where(Draft.id == draft_id))
        s.commit()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=40, help="deliveries per claim")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="claim-bench-"))
    url = args.database_url or f"sqlite:///{work / 'claim.db'}"
    draft_id, accounts = prepare(url)
    results: dict[int, dict[str, list[float]]] = {}
    try:
        add_due(url, draft_id, accounts, 0, args.small)
        results[args.small] = measure(url, args.limit, args.rounds)
        add_due(url, draft_id, accounts, args.small, args.large)
        results[args.large] = measure(url, args.limit, args.rounds)
    finally:
        if args.database_url:
            cleanup(url, draft_id)
    print(
        f"database={url.split(':')[0]} limit={args.limit} rounds={args.rounds} "
        f"(ms per operation: median / p90)"
    )
    for name in ("find_due", "claim", "sort_all"):
        small = statistics.median(results[args.small][name])
        large = statistics.median(results[args.large][name])
        p90 = {n: statistics.quantiles(results[n][name], n=10)[-1] for n in results}
        print(
            f"{name:9} {args.small} due: {small:7.3f} / {p90[args.small]:7.3f}   "
            f"{args.large} due: {large:8.3f} / {p90[args.large]:8.3f}   "
            f"ratio {large / small:6.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
