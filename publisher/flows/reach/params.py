"""Reading a reach question (municipality, period, initiative, channel) from request values.

The same rules for the pages and the API. Problems come back as codes with their field; the
faces turn them into words in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import CHANNEL_NAMES, Initiative, Municipality
from publisher.flows.reach.query import LINK_CHANNEL, Period, Query, last_month

MAX_DAYS = 366 * 3


@dataclass(frozen=True)
class Problem:
    field: str
    code: str  # bad_date | reversed | too_long | unknown | required


def default_period(today: date) -> Period:
    """The last 30 days up to and including today (the dashboard's default)."""
    return Period(today - timedelta(days=29), today)


def parse_query(
    session: Session,
    values: Mapping[str, str],
    today: date,
    *,
    need_municipality: bool = False,
    default: str = "recent",
) -> tuple[Query | None, list[Problem]]:
    """A Query from `municipality`, `from`, `to`, `initiative`, `channel`; or the problems."""
    problems: list[Problem] = []
    fallback = last_month(today) if default == "last_month" else default_period(today)
    start = _date(values.get("from"), fallback.start, "from", problems)
    end = _date(values.get("to"), fallback.end, "to", problems)
    if start and end and start > end:
        problems.append(Problem("to", "reversed"))
    elif start and end and (end - start).days + 1 > MAX_DAYS:
        problems.append(Problem("from", "too_long"))
    muni = _municipality(session, values.get("municipality", ""), need_municipality, problems)
    initiative_id = _initiative(session, values.get("initiative", ""), problems)
    channel = (values.get("channel") or "").strip() or None
    if channel and channel not in (*CHANNEL_NAMES, LINK_CHANNEL):
        problems.append(Problem("channel", "unknown"))
    if problems or start is None or end is None:
        return None, problems
    return Query(Period(start, end), muni, initiative_id, channel), []


def _date(raw: str | None, fallback: date, name: str, problems: list[Problem]) -> date | None:
    if not raw or not raw.strip():
        return fallback
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(Problem(name, "bad_date"))
        return None
    if not 2000 <= day.year <= 2100:  # periods add days: the calendar's edges overflow
        problems.append(Problem(name, "bad_date"))
        return None
    return day


def _municipality(
    session: Session, slug: str, required: bool, problems: list[Problem]
) -> Municipality | None:
    slug = slug.strip()
    if not slug:
        if required:
            problems.append(Problem("municipality", "required"))
        return None
    found = session.scalar(select(Municipality).where(Municipality.slug == slug))
    if found is None:
        problems.append(Problem("municipality", "unknown"))
    return found


def _initiative(session: Session, slug: str, problems: list[Problem]) -> int | None:
    slug = slug.strip()
    if not slug:
        return None
    found = session.scalar(select(Initiative.id).where(Initiative.slug == slug))
    if found is None:
        problems.append(Problem("initiative", "unknown"))
    return found
