"""Collecting figures from the platforms: what is due, one collection, and what failed.

Each published delivery is collected at about +1 h, +24 h, +7 d and +28 d after publication
(`STAGES`). A collection stores every number the platform answered under the platform's own
name and the adapter's normalised figures (append-only), then folds the normalised ones into
the rollup the screens read. A figure the platform did not give is not stored at all, so the
screens show "no data", never 0. A failed collection (expired token, 429, platform down) keeps
its stage, records the reason and is tried again later with a growing pause: it is shown on
the reach page until it succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from channels.base import Adapter, ChannelError, Metrics, Published
from drafts.models import ChannelAccount
from publisher.flows.reach.models import ReachCollection, ReachSnapshot
from publisher.flows.reach.rollup import Figure, fold
from schedules.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

STAGES: tuple[tuple[str, timedelta], ...] = (
    ("1h", timedelta(hours=1)),
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("28d", timedelta(days=28)),
)
RETRY_FIRST = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)
BATCH = 50  # deliveries per leader run; the rest wait for the next run

AdapterFor = Callable[[ChannelAccount], Adapter]


@dataclass
class CollectionRun:
    """What one run did: deliveries collected and failures by delivery id."""

    collected: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def stage_for(published_at: datetime, now: datetime, after: int = -1) -> int:
    """The stage to collect next: the latest one already reached, never one at or before `after`.

    An item found late (or collected late after an outage) is collected once for the stage it
    is in, not once for every stage it missed.
    """
    reached = [i for i, (_, offset) in enumerate(STAGES) if published_at + offset <= now]
    latest = reached[-1] if reached else 0
    return max(latest, after + 1)


def due_time(published_at: datetime, stage: int) -> datetime | None:
    return published_at + STAGES[stage][1] if stage < len(STAGES) else None


def plan_new(session: Session, now: datetime) -> int:
    """Give every published delivery without a collection plan one; return how many."""
    rows = session.execute(
        select(Delivery.id, Delivery.published_at)
        .outerjoin(ReachCollection, ReachCollection.delivery_id == Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.PUBLISHED.value,
            Delivery.external_id != "",
            Delivery.published_at.is_not(None),
            ReachCollection.delivery_id.is_(None),
        )
    ).all()
    for delivery_id, published_at in rows:
        stage = stage_for(published_at, now)
        session.add(
            ReachCollection(
                delivery_id=delivery_id, next_stage=stage, due_at=due_time(published_at, stage)
            )
        )
    session.commit()
    return len(rows)


def collect_due(
    session: Session, adapter_for: AdapterFor, now: datetime, limit: int = BATCH
) -> CollectionRun:
    """Plan new deliveries, then collect those whose next stage is due (oldest first)."""
    plan_new(session, now)
    plans = session.scalars(
        select(ReachCollection)
        .where(ReachCollection.due_at <= now)
        .order_by(ReachCollection.due_at)
        .limit(limit)
    ).all()
    run = CollectionRun()
    for plan in plans:
        delivery = _delivery(session, plan.delivery_id)
        _collect_planned(session, plan, delivery, adapter_for, now, run)
    return run


def collect_all(session: Session, adapter_for: AdapterFor, now: datetime) -> CollectionRun:
    """A snapshot of every published delivery now, outside the plan (`reach collect --all`)."""
    plan_new(session, now)
    run = CollectionRun()
    for delivery in _published(session):
        try:
            collect_one(session, delivery, "now", adapter_for(delivery.account), now)
            run.collected.append(delivery.id)
        except ChannelError as exc:
            session.rollback()
            run.failed[delivery.id] = exc.reason
    return run


def collect_one(
    session: Session, delivery: Delivery, stage: str, adapter: Adapter, now: datetime
) -> Metrics:
    """Fetch one delivery's figures, store them as snapshots, fold them into the rollup."""
    published = Published(delivery.external_id, delivery.external_url or None)
    metrics = adapter.fetch_metrics(published)
    figures = list(normalised_figures(metrics))
    for metric, value in flatten(metrics.raw):
        session.add(
            ReachSnapshot(
                delivery_id=delivery.id,
                observed_at=now,
                stage=stage,
                layer="platform",
                metric=metric,
                value=value,
            )
        )
    for figure in figures:
        session.add(
            ReachSnapshot(
                delivery_id=delivery.id,
                observed_at=now,
                stage=stage,
                layer="normalised",
                metric=figure.metric,
                segment=figure.segment,
                value=figure.value,
            )
        )
    session.flush()
    fold(session, delivery, figures, now)
    session.commit()
    return metrics


def normalised_figures(metrics: Metrics) -> Iterator[Figure]:
    """The adapter's normalised figures, whole-item and per segment (no value, no row)."""
    for metric, value in metrics.normalised.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield Figure(metric, "", int(value))
    for segment, values in metrics.per_segment.items():
        for metric, value in values.items():
            if segment and isinstance(value, int | float) and not isinstance(value, bool):
                yield Figure(metric, str(segment)[:64], int(value))


def flatten(raw: Any, prefix: str = "") -> Iterator[tuple[str, int]]:
    """Every whole number in the platform's answer under its own (dotted) name."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from flatten(value, name)
    elif isinstance(raw, int) and not isinstance(raw, bool) and prefix:
        yield prefix[:120], raw


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """How long to wait before trying a failed collection again."""
    pause = min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 16), RETRY_CAP)
    if retry_after:
        pause = max(pause, timedelta(seconds=retry_after))
    return pause


def problems(session: Session) -> list[ReachCollection]:
    """Collections whose last try failed, newest first (shown on the reach page)."""
    return list(
        session.scalars(
            select(ReachCollection)
            .where(ReachCollection.last_error != "")
            .order_by(ReachCollection.last_attempt_at.desc())
        ).all()
    )


def _collect_planned(
    session: Session,
    plan: ReachCollection,
    delivery: Delivery,
    adapter_for: AdapterFor,
    now: datetime,
    run: CollectionRun,
) -> None:
    assert delivery.published_at is not None
    stage = min(plan.next_stage, len(STAGES) - 1)
    try:
        collect_one(session, delivery, STAGES[stage][0], adapter_for(delivery.account), now)
    except ChannelError as exc:
        session.rollback()
        _failed(plan, exc.reason, exc.detail, exc.retry_after, now)
        session.commit()
        run.failed[delivery.id] = exc.reason
        log.warning("reach collection for delivery %s failed: %s", delivery.id, exc)
        return
    except Exception as exc:  # a bug or a surprise answer: retried and shown, never lost
        session.rollback()
        log.exception("reach collection for delivery %s failed unexpectedly", delivery.id)
        _failed(plan, "platform_error", repr(exc), None, now)
        session.commit()
        run.failed[delivery.id] = "platform_error"
        return
    nxt = stage_for(delivery.published_at, now, after=stage)
    plan.next_stage, plan.due_at = nxt, due_time(delivery.published_at, nxt)
    plan.attempts, plan.last_error, plan.last_error_detail = 0, "", ""
    plan.last_attempt_at = plan.last_success_at = now
    session.commit()
    run.collected.append(delivery.id)


def _failed(
    plan: ReachCollection, reason: str, detail: str, retry_after: float | None, now: datetime
) -> None:
    plan.attempts += 1
    plan.last_error, plan.last_error_detail = reason, detail[:2000]
    plan.last_attempt_at = now
    plan.due_at = now + backoff(plan.attempts, retry_after)


def _delivery(session: Session, delivery_id: int) -> Delivery:
    return session.scalars(
        select(Delivery)
        .options(joinedload(Delivery.account), joinedload(Delivery.draft))
        .where(Delivery.id == delivery_id)
    ).one()


def _published(session: Session) -> Iterable[Delivery]:
    return session.scalars(
        select(Delivery)
        .options(joinedload(Delivery.account), joinedload(Delivery.draft))
        .where(Delivery.status == DeliveryStatus.PUBLISHED.value, Delivery.external_id != "")
        .order_by(Delivery.id)
    ).all()
