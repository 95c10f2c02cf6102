"""A user's private iCal feed of the schedule: a secret URL, shown once, revocable.

Only a SHA-256 of the secret is stored. Creating a new feed revokes the user's earlier one, so
a leaked URL stops working as soon as the person asks for a new one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from drafts.models import User
from publisher.flows.plan.calendar import CalendarQuery, items_between
from schedules.plan import CalendarFeed

PAST_DAYS, FUTURE_DAYS = 31, 366  # what the feed covers around today


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed(session: Session, user: User, now: datetime) -> str:
    """Revoke the user's feeds and make a new one; return its secret (shown once)."""
    revoke_feeds(session, user, now)
    secret = secrets.token_urlsafe(32)
    session.add(CalendarFeed(user_id=user.id, token_hash=_hash(secret), created_at=now))
    session.flush()
    return secret


def revoke_feeds(session: Session, user: User, now: datetime) -> int:
    """Revoke every live feed of the user; return how many."""
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def has_feed(session: Session, user: User) -> bool:
    return (
        session.scalar(
            select(CalendarFeed.id)
            .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
            .limit(1)
        )
        is not None
    )


def feed_user(session: Session, secret: str) -> User | None:
    """The active user whose live feed `secret` opens, or None."""
    feed = session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == _hash(secret), CalendarFeed.revoked_at.is_(None)
        )
    )
    if feed is None or not feed.user.active:
        return None
    return feed.user


def ical(
    session: Session,
    today: date,
    zone: ZoneInfo,
    prodid: str,
    draft_url: str,
    labels: dict[str, str],
) -> bytes:
    """The schedule around `today` as an iCalendar document, times in `zone` (with VTIMEZONE).

    `draft_url` has a `{id}` placeholder; `labels` translates status values for the summary.
    """
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("x-wr-timezone", zone.key)
    first, last = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    items, _counts = items_between(session, first, last, CalendarQuery(day=today), zone)
    for item in items:
        event = Event()
        event.add("uid", f"draft-{item.id}@publisher")
        event.add("dtstamp", item.when)
        event.add("dtstart", item.local)
        event.add("dtend", item.local + timedelta(minutes=15))
        channels = ", ".join(c.channel for c in item.channels)
        event.add("summary", f"{item.title} ({labels.get(item.shown_as, item.shown_as)})")
        event.add("description", f"{channels}\n{', '.join(item.municipalities)}")
        event.add("url", draft_url.replace("{id}", str(item.id)))
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
