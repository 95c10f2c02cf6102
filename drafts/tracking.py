"""Tracked share links: a short code per draft × municipality that redirects and counts clicks.

Only a number per link per day is kept: no IP address, no cookie, no user agent (no personal
data). Clicks credit the municipality whose link it was (DESIGN §8).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from drafts.models import Base, Draft, Municipality, utcnow

CODE_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes
CODE_LENGTH = 8


class TrackedLink(Base):
    """A short code that redirects to `url` on behalf of one municipality."""

    __tablename__ = "tracked_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("draft.id", ondelete="CASCADE"), default=None, index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id"), default=None)
    channel: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    draft: Mapped[Draft | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()


class LinkClick(Base):
    """How many times a tracked link was followed on one day (UTC)."""

    __tablename__ = "tracked_link_click"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_link.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)

    # Reach reads clicks by period across all links: by day first, so history does not count.
    __table_args__ = (Index("ix_tracked_link_click_day", "day"),)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def link_for(session: Session, draft: Draft, municipality: Municipality | None, url: str,
             now: datetime, channel: str = "") -> TrackedLink:
    """The draft's tracked link for a municipality and target, made on first use."""
    found = session.scalar(select(TrackedLink).where(
        TrackedLink.draft_id == draft.id, TrackedLink.url == url,
        TrackedLink.municipality_id == (municipality.id if municipality else None)))
    if found is None:
        found = TrackedLink(code=new_code(), url=url, draft_id=draft.id, channel=channel,
                            municipality_id=municipality.id if municipality else None,
                            created_at=now)
        session.add(found)
        session.flush()
    return found


def count_click(session: Session, link: TrackedLink, day: date) -> None:
    """Add one click to the link's count for `day` (an atomic upsert on both databases)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(LinkClick).values(link_id=link.id, day=day, clicks=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LinkClick.link_id, LinkClick.day],
        set_={"clicks": LinkClick.clicks + 1})
    session.execute(stmt)


def clicks_by_day(session: Session, link: TrackedLink) -> dict[date, int]:
    rows = session.execute(select(LinkClick.day, LinkClick.clicks)
                           .where(LinkClick.link_id == link.id).order_by(LinkClick.day))
    return {day: clicks for day, clicks in rows}
