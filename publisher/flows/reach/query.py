"""What the reach screens, the API, the Citatboks and the report show, read from the rollup.

Attribution (documented on the help page, /reach/help):
- An item's figures count in full for every municipality it is tagged with.
- The regional total counts each item once (never the sum of the municipalities).
- Newsletter figures for a municipality are those of its subscribers (merge field); the
  regional newsletter figures are the campaign's own totals.
- Clicks on a municipality's tracked share link count for that municipality, on the day of the
  click.
An item belongs to a period by its publication day (Europe/Copenhagen) and counts with its
latest figures. A metric with no figure at all is `None` ("no data"), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from drafts.models import Draft, Municipality, draft_municipality
from drafts.tracking import LinkClick, TrackedLink
from publisher.flows.reach.models import ReachRollup
from publisher.flows.reach.rollup import METRICS
from schedules.models import Delivery

LINK_CHANNEL = "link"  # tracked share links, shown as their own "channel"
Figures = dict[str, int | None]


@dataclass(frozen=True)
class Period:
    """Calendar days from `start` to `end`, both included (Europe/Copenhagen)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def last_month(today: date) -> Period:
    """The calendar month before `today`'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


@dataclass(frozen=True)
class Query:
    """Which figures: a municipality (None = the whole region), a period, optional filters."""

    period: Period
    municipality: Municipality | None = None
    initiative_id: int | None = None
    channel: str | None = None


@dataclass
class Item:
    """One item on one channel with its figures for the query."""

    draft_id: int
    title: str
    channel: str
    published_at: datetime | None
    initiative_id: int | None
    metrics: Figures = field(default_factory=lambda: dict.fromkeys(METRICS))


@dataclass
class Reach:
    """Everything a dashboard shows for one query."""

    query: Query
    totals: Figures
    by_channel: dict[str, Figures]
    items: list[Item]
    by_day: dict[date, Figures]
    previous_totals: Figures

    def top(self, n: int = 5) -> list[Item]:
        """The items that reached most people (then most views)."""
        return sorted(
            self.items,
            key=lambda i: (-(i.metrics["reach"] or 0), -(i.metrics["views"] or 0), i.title),
        )[:n]


def empty() -> Figures:
    return dict.fromkeys(METRICS)


def add(into: Figures, metric: str, value: int) -> None:
    """Add a figure: "no data" plus a number is that number."""
    into[metric] = (into[metric] or 0) + value


def reach(session: Session, query: Query) -> Reach:
    """Totals, per channel, per item and per day for the query, and the previous period's totals."""
    items = _items(session, query)
    totals, by_channel = _sums(items)
    by_day: dict[date, Figures] = {d: empty() for d in query.period.each_day()}
    for row_day, metric, value in _daily(session, query):
        if row_day in by_day:
            add(by_day[row_day], metric, value)
    before = Query(query.period.previous(), query.municipality, query.initiative_id, query.channel)
    previous, _ = _sums(_items(session, before))
    return Reach(query, totals, by_channel, items, by_day, previous)


def _sums(items: list[Item]) -> tuple[Figures, dict[str, Figures]]:
    totals = empty()
    by_channel: dict[str, Figures] = {}
    for item in items:
        channel = by_channel.setdefault(item.channel, empty())
        for metric, value in item.metrics.items():
            if value is not None:
                add(totals, metric, value)
                add(channel, metric, value)
    return totals, by_channel


def _rollup_filter(query: Query) -> list[ColumnElement[bool]]:
    """WHERE clauses for the rollup rows that count for the query (see the module docstring)."""
    where: list[ColumnElement[bool]] = [
        ReachRollup.day >= query.period.start,
        ReachRollup.day <= query.period.end,
    ]
    if query.initiative_id is not None:
        where.append(ReachRollup.initiative_id == query.initiative_id)
    if query.channel:
        where.append(ReachRollup.channel == query.channel)
    muni = query.municipality
    if muni is None:
        where.append(ReachRollup.segment == "")
        return where
    tagged = exists().where(
        draft_municipality.c.draft_id == ReachRollup.draft_id,
        draft_municipality.c.municipality_id == muni.id,
    )
    where.append(
        or_(
            and_(ReachRollup.channel != "newsletter", ReachRollup.segment == "", tagged),
            and_(ReachRollup.channel == "newsletter", ReachRollup.segment == muni.slug),
        )
    )
    return where


def _clicks(query: Query, by_day: bool = False) -> Any:
    """Link clicks in the period per link (and day), read by day first so that the cost
    follows the period, not the history; municipality and channel rules applied."""
    columns = [LinkClick.link_id, *([LinkClick.day] if by_day else [])]
    where: list[Any] = [LinkClick.day >= query.period.start, LinkClick.day <= query.period.end]
    if query.channel and query.channel != LINK_CHANNEL:
        where.append(false())  # link clicks are their own channel
    return (
        select(*columns, func.sum(LinkClick.clicks).label("clicks"))
        .where(*where)
        .group_by(*columns)
        .subquery("clicks" + ("_by_day" if by_day else ""))
    )


def _link_draft_filter(query: Query) -> list[Any]:
    where: list[Any] = []
    if query.municipality is not None:
        where.append(TrackedLink.municipality_id == query.municipality.id)
    if query.initiative_id is not None:
        where.append(Draft.initiative_id == query.initiative_id)
    return where


def _items(session: Session, query: Query) -> list[Item]:
    rows = session.execute(
        select(
            ReachRollup.delivery_id,
            ReachRollup.draft_id,
            ReachRollup.channel,
            ReachRollup.initiative_id,
            ReachRollup.metric,
            ReachRollup.value,
            Draft.title,
            Delivery.published_at,
        )
        .join(Draft, Draft.id == ReachRollup.draft_id)
        .join(Delivery, Delivery.id == ReachRollup.delivery_id)
        .where(*_rollup_filter(query))
    ).all()
    items: dict[tuple[str, int], Item] = {}
    for delivery_id, draft_id, channel, initiative_id, metric, value, title, at in rows:
        item = items.setdefault(
            ("d", delivery_id), Item(draft_id, title, channel, at, initiative_id)
        )
        add(item.metrics, metric, value)
    per_link = _clicks(query)
    clicks = session.execute(
        select(Draft.id, Draft.title, Draft.initiative_id, func.sum(per_link.c.clicks))
        .select_from(per_link)
        .join(TrackedLink, TrackedLink.id == per_link.c.link_id)
        .join(Draft, Draft.id == TrackedLink.draft_id)
        .where(*_link_draft_filter(query))
        .group_by(Draft.id, Draft.title, Draft.initiative_id)
    ).all()
    for draft_id, title, initiative_id, total in clicks:
        item = items.setdefault(
            ("l", draft_id), Item(draft_id, title, LINK_CHANNEL, None, initiative_id)
        )
        add(item.metrics, "clicks", int(total))
    return sorted(
        items.values(),
        key=lambda i: (
            i.published_at is None,
            i.published_at or datetime.min,
            i.draft_id,
            i.channel,
        ),
    )


def _daily(session: Session, query: Query) -> list[tuple[date, str, int]]:
    """(day, metric, sum) for the trend chart: items by publication day, link clicks by click."""
    rows = session.execute(
        select(ReachRollup.day, ReachRollup.metric, func.sum(ReachRollup.value))
        .where(*_rollup_filter(query))
        .group_by(ReachRollup.day, ReachRollup.metric)
    ).all()
    per_day = _clicks(query, by_day=True)
    clicks = session.execute(
        select(per_day.c.day, func.sum(per_day.c.clicks))
        .select_from(per_day)
        .join(TrackedLink, TrackedLink.id == per_day.c.link_id)
        .join(Draft, Draft.id == TrackedLink.draft_id)
        .where(*_link_draft_filter(query))
        .group_by(per_day.c.day)
    ).all()
    out = [(d, m, int(v)) for d, m, v in rows]
    out += [(d, "clicks", int(v)) for d, v in clicks]
    return out


def channels_in(data: Reach) -> list[str]:
    """The channels that have figures, in a stable order."""
    order = ("facebook", "instagram", "website", "newsletter", "x", LINK_CHANNEL)
    return [c for c in order if c in data.by_channel] + sorted(
        c for c in data.by_channel if c not in order
    )


def change(now: int | None, before: int | None) -> float | None:
    """Change from the previous period as a fraction (None when either is unknown or 0)."""
    if now is None or not before:
        return None
    return (now - before) / before
