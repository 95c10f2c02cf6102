"""/metrics in the Prometheus text format, computed from the database (the one truth shared by
every web and worker process): queue depth, lateness, outcomes and failures per channel.

Scraping needs an API token (`Authorization: Bearer …`), like the JSON API.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.auth import token_authenticated, user_for_token
from publisher.db import get_session
from publisher.errors import problem
from schedules.models import Attempt, Delivery, DeliveryStatus

bp = Blueprint("metrics", __name__)

# Seconds late (published_at - due_at); the last bucket is +Inf.
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def _family(name: str, kind: str, help_text: str, lines: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *lines]


def queue_depth(db: Session) -> list[str]:
    """Deliveries per status and channel (every status, zero included)."""
    counts = {(s, c): n for s, c, n in db.execute(
        select(Delivery.status, Delivery.channel, func.count()).group_by(
            Delivery.status, Delivery.channel))}
    channels = sorted({c for _, c in counts}) or ["facebook"]
    lines = [_line("publisher_deliveries", counts.get((s.value, c), 0),
                   {"status": s.value, "channel": c})
             for s in DeliveryStatus for c in channels]
    return _family("publisher_deliveries", "gauge", "Deliveries by status and channel.", lines)


def overdue(db: Session, now: datetime) -> list[str]:
    """Scheduled deliveries whose time has passed, and how late the oldest is."""
    waiting = (Delivery.status == DeliveryStatus.SCHEDULED.value) & (Delivery.due_at <= now)
    count = db.scalar(select(func.count()).select_from(Delivery).where(waiting)) or 0
    oldest = db.scalar(select(func.min(Delivery.due_at)).where(waiting))
    age = (now - oldest).total_seconds() if oldest else 0.0
    return [
        *_family("publisher_deliveries_overdue", "gauge",
                 "Scheduled deliveries past their due time.",
                 [_line("publisher_deliveries_overdue", count)]),
        *_family("publisher_oldest_overdue_seconds", "gauge",
                 "How late the oldest overdue delivery is.",
                 [_line("publisher_oldest_overdue_seconds", round(age, 3))]),
    ]


def lateness(db: Session) -> list[str]:
    """Histogram of published_at - due_at per channel."""
    rows = db.execute(select(Delivery.channel, Delivery.due_at, Delivery.published_at).where(
        Delivery.status == DeliveryStatus.PUBLISHED.value, Delivery.published_at.is_not(None)))
    per_channel: dict[str, list[float]] = {}
    for channel, due, published in rows:
        per_channel.setdefault(channel, []).append(max(0.0, (published - due).total_seconds()))
    lines: list[str] = []
    for channel, values in sorted(per_channel.items()):
        for bound in LATENESS_BUCKETS:
            lines.append(_line("publisher_publish_lateness_seconds_bucket",
                               sum(1 for v in values if v <= bound),
                               {"channel": channel, "le": f"{bound:g}"}))
        lines.append(_line("publisher_publish_lateness_seconds_bucket", len(values),
                           {"channel": channel, "le": "+Inf"}))
        lines.append(_line("publisher_publish_lateness_seconds_sum", round(sum(values), 3),
                           {"channel": channel}))
        lines.append(_line("publisher_publish_lateness_seconds_count", len(values),
                           {"channel": channel}))
    return _family("publisher_publish_lateness_seconds", "histogram",
                   "Seconds between a delivery's due time and its publication.", lines)


def outcomes(db: Session) -> list[str]:
    """Attempts per channel, action and outcome, and failures per reason."""
    rows = db.execute(
        select(Delivery.channel, Attempt.action, Attempt.outcome, func.count())
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .group_by(Delivery.channel, Attempt.action, Attempt.outcome))
    lines = [_line("publisher_attempts_total", n,
                   {"channel": c, "action": a, "outcome": o}) for c, a, o, n in rows]
    failures = db.execute(
        select(Delivery.channel, Delivery.last_error, func.count())
        .where(Delivery.status == DeliveryStatus.FAILED.value)
        .group_by(Delivery.channel, Delivery.last_error))
    failed = [_line("publisher_deliveries_failed", n, {"channel": c, "reason": r or "unknown"})
              for c, r, n in failures]
    return [
        *_family("publisher_attempts_total", "counter",
                 "Platform calls per channel, action and outcome.", lines),
        *_family("publisher_deliveries_failed", "gauge",
                 "Failed deliveries per channel and reason.", failed),
    ]


def render(db: Session, now: datetime) -> str:
    """The whole exposition."""
    parts = [*queue_depth(db), *overdue(db, now), *lateness(db), *outcomes(db)]
    return "\n".join(parts) + "\n"


@bp.get("/metrics")
@token_authenticated
def metrics() -> Any:
    """Prometheus text exposition (needs an API token)."""
    header = request.headers.get("Authorization", "")
    now = datetime.now(UTC)
    db = get_session()
    user = None
    if header.startswith("Bearer "):
        user = user_for_token(db, header[7:].strip(), now)
    if user is None:
        response = problem(401, "Unauthorized", "An API token is needed: Authorization: Bearer …")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    g.user = user
    return Response(render(db, now), mimetype="text/plain; version=0.0.4")
