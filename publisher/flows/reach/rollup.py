"""Folding normalised figures into `reach_rollup` as they arrive.

Platform figures are lifetime totals, so an item's rollup row holds its latest figure; a
figure observed earlier than the stored one never overwrites it. One upsert per figure, the
same statement on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from publisher.flows.reach.models import ReachRollup
from schedules.models import Delivery

LOCAL = ZoneInfo("Europe/Copenhagen")
METRICS = ("reach", "views", "engagements", "clicks", "opens")


@dataclass(frozen=True)
class Figure:
    """One normalised figure: metric, segment ("" = the whole item; else a municipality)."""

    metric: str
    segment: str
    value: int


def local_day(moment: datetime) -> date:
    """The Copenhagen calendar day a UTC moment falls on."""
    return moment.astimezone(LOCAL).date()


def fold(session: Session, delivery: Delivery, figures: Sequence[Figure], now: datetime) -> None:
    """Upsert the delivery's latest figures into the rollup (known metrics only)."""
    assert delivery.published_at is not None
    base = {
        "delivery_id": delivery.id,
        "day": local_day(delivery.published_at),
        "draft_id": delivery.draft_id,
        "channel": delivery.channel,
        "initiative_id": delivery.draft.initiative_id,
        "observed_at": now,
    }
    rows = [
        {**base, "metric": f.metric, "segment": f.segment, "value": f.value}
        for f in figures
        if f.metric in METRICS
    ]
    fold_rows(session, rows)


def fold_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert ready-made rollup rows; a newer observation wins, an older one is ignored."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ReachRollup)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReachRollup.delivery_id, ReachRollup.metric, ReachRollup.segment],
        set_={
            "value": stmt.excluded.value,
            "observed_at": stmt.excluded.observed_at,
            "day": stmt.excluded.day,
        },
        where=ReachRollup.observed_at <= stmt.excluded.observed_at,
    )
    session.execute(stmt, list(rows))
