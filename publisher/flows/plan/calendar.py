"""What the calendar shows: items in a span of time, filtered, placed on their local day.

One query for the drafts and one for their deliveries, whatever the number of items, so the
month view with thousands of items costs about as much as a queue page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, cast, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from drafts.models import (
    CHANNEL_NAMES,
    Draft,
    Initiative,
    Kind,
    Municipality,
    draft_municipality,
)
from drafts.states import Status
from schedules.models import Delivery, DeliveryStatus

VIEWS = ("month", "week", "list")
FILTERS = ("status", "municipality", "initiative", "channel", "kind")
# What an item shows as, worst first: a delivery's trouble outranks the draft's status.
TROUBLE = (DeliveryStatus.FAILED.value, DeliveryStatus.HELD.value, DeliveryStatus.UNCONFIRMED.value)


@dataclass
class CalendarQuery:
    """What the calendar was asked to show; `problems` are (field, code, value) to translate."""

    view: str = "month"
    day: date = field(default_factory=date.today)
    status: str = ""
    municipality: str = ""
    initiative: str = ""
    channel: str = ""
    kind: str = ""
    problems: list[tuple[str, str, str]] = field(default_factory=list)

    def args(self, **changes: str) -> dict[str, str]:
        """Query-string arguments that reproduce this view, with `changes` applied."""
        out = {"view": self.view, "day": self.day.isoformat()}
        out.update({k: getattr(self, k) for k in FILTERS if getattr(self, k)})
        out.update(changes)
        return {k: v for k, v in out.items() if v}


def parse_query(
    args: MultiDict[str, str], today: date, municipalities: set[str], initiatives: set[str]
) -> CalendarQuery:
    """Read and check the calendar's query string (unknown values become problems)."""
    q = CalendarQuery(day=today)
    allowed = {
        "status": {s.value for s in Status} | set(TROUBLE),
        "municipality": municipalities,
        "initiative": initiatives,
        "channel": set(CHANNEL_NAMES),
        "kind": {k.value for k in Kind},
    }
    view = args.get("view", "month").strip() or "month"
    if view in VIEWS:
        q.view = view
    else:
        q.problems.append(("view", "unknown", view[:40]))
    raw_day = args.get("day", "").strip()
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
            if not 2000 <= day.year <= 2100:  # checked before it is kept: span() adds days
                raise ValueError(raw_day)
            q.day = day
        except ValueError:
            q.problems.append(("day", "not_a_date", raw_day[:40]))
    for name in FILTERS:
        value = args.get(name, "").strip()
        if value and value not in allowed[name]:
            q.problems.append((name, "unknown", value[:60]))
        elif value:
            setattr(q, name, value)
    return q


def span(q: CalendarQuery) -> tuple[date, date]:
    """The local days the view covers (first, last), whole weeks from Monday for month/week."""
    if q.view == "week":
        first = q.day - timedelta(days=q.day.weekday())
        return first, first + timedelta(days=6)
    start = q.day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if q.view == "list":
        return start, end
    return start - timedelta(days=start.weekday()), end + timedelta(days=6 - end.weekday())


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which local `day` begins (23 or 25 hours long around DST)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class ItemChannel:
    channel: str
    status: str  # the delivery's status, or "" when nothing is scheduled yet


@dataclass(frozen=True)
class CalendarItem:
    """One draft on the calendar, at its (local) time, with each channel's state."""

    id: int
    title: str
    kind: str
    status: str  # the draft's status
    shown_as: str  # the status to show: a delivery's trouble, else the draft's
    when: datetime  # UTC
    local: datetime  # in the organisation's zone
    channels: tuple[ItemChannel, ...]
    municipalities: tuple[str, ...]
    initiative_id: int

    @property
    def movable(self) -> bool:
        return self.status in MOVABLE


MOVABLE = frozenset(
    {
        Status.DRAFT.value,
        Status.IN_REVIEW.value,
        Status.APPROVED.value,
        Status.SCHEDULED.value,
        Status.REJECTED.value,
    }
)


def _conditions(q: CalendarQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.status in TROUBLE:  # a delivery in that trouble (shown as the worst it has)
        where.append(Draft.id.in_(select(Delivery.draft_id).where(Delivery.status == q.status)))
    elif q.status:
        where.append(Draft.status == q.status)
    else:
        where.append(Draft.status != Status.CANCELLED.value)
    if q.kind:
        where.append(Draft.kind == q.kind)
    if q.initiative:
        where.append(Draft.initiative.has(Initiative.slug == q.initiative))
    if q.municipality:
        where.append(Draft.municipalities.any(Municipality.slug == q.municipality))
    if q.channel:
        # Channels are a JSON list; its text holds each name in quotes on SQLite and PostgreSQL.
        where.append(cast(Draft.channels, String).like(f'%"{q.channel}"%'))
    return where


def _shown_as(status: str, states: set[str]) -> str:
    for trouble in TROUBLE:
        if trouble in states:
            return trouble
    return status


def items_between(
    session: Session,
    first: date,
    last: date,
    q: CalendarQuery,
    zone: ZoneInfo,
    per_day: int = 0,
) -> tuple[list[CalendarItem], dict[date, int]]:
    """The items whose time falls on local days `first`..`last`, in time order, and how many
    there are on each local day. With `per_day`, only the first `per_day` items of each day are
    built (the month view shows those and "N more").

    Reads only the columns shown (no ORM objects): a month may hold thousands of items.
    """
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    rows = session.execute(
        select(
            Draft.id,
            Draft.title,
            Draft.kind,
            Draft.status,
            Draft.desired_at,
            Draft.channels,
            Draft.initiative_id,
        )
        .where(Draft.desired_at >= start, Draft.desired_at < end, *_conditions(q))
        .order_by(Draft.desired_at, Draft.id)
    ).all()
    counts: dict[date, int] = defaultdict(int)
    chosen = []
    for row in rows:
        local = row.desired_at.astimezone(zone)
        day = local.date()
        counts[day] += 1
        if not per_day or counts[day] <= per_day:
            chosen.append((row, local))
    ids = [row.id for row, _local in chosen]
    names: dict[int, list[str]] = defaultdict(list)
    states: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in range(0, len(ids), 500):  # stay under the bind-parameter limits
        part = ids[chunk : chunk + 500]
        for draft_id, name in session.execute(
            select(draft_municipality.c.draft_id, Municipality.name)
            .join(Municipality, Municipality.id == draft_municipality.c.municipality_id)
            .where(draft_municipality.c.draft_id.in_(part))
            .order_by(Municipality.name)
        ):
            names[draft_id].append(name)
        for draft_id, channel, status in session.execute(
            select(Delivery.draft_id, Delivery.channel, Delivery.status)
            .where(Delivery.draft_id.in_(part), Delivery.status != DeliveryStatus.CANCELLED.value)
            .order_by(Delivery.id)
        ):
            states[draft_id][channel] = _worse(states[draft_id].get(channel, ""), status)
    items = []
    for row, local in chosen:
        status_of = states.get(row.id, {})
        items.append(
            CalendarItem(
                id=row.id,
                title=row.title,
                kind=row.kind,
                status=row.status,
                shown_as=_shown_as(row.status, set(status_of.values())),
                when=row.desired_at,
                local=local,
                channels=tuple(ItemChannel(c, status_of.get(c, "")) for c in row.channels or []),
                municipalities=tuple(names.get(row.id, ())),
                initiative_id=row.initiative_id,
            )
        )
    return items, dict(counts)


def _worse(old: str, new: str) -> str:
    """Of two deliveries on one channel (several accounts), the one in more trouble."""
    for trouble in TROUBLE:
        if trouble in (old, new):
            return trouble
    return new or old


def by_day(items: list[CalendarItem]) -> dict[date, list[CalendarItem]]:
    """Items grouped by their local day."""
    grouped: dict[date, list[CalendarItem]] = defaultdict(list)
    for item in items:
        grouped[item.local.date()].append(item)
    return grouped


def weeks(first: date, last: date) -> list[list[date]]:
    """The days `first`..`last` (Monday..Sunday spans) cut into weeks."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [days[n : n + 7] for n in range(0, len(days), 7)]
