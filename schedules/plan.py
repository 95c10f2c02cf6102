"""The posting plan's tables: recurring slots, rhythm goals, quiet periods, private calendar feeds.

Plain SQLAlchemy (no Flask). Slot times are wall-clock times in the organisation's zone and are
turned into UTC per day, so "Thursday 09:00" stays 09:00 across daylight saving time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drafts.models import Base, Municipality, User, utcnow


class QuietPeriod(Base):
    """A span in which nothing is published (an election, an embargo), for everyone or for one
    municipality and/or channel."""

    __tablename__ = "quiet_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)  # UTC, inclusive
    ends_at: Mapped[datetime] = mapped_column(index=True)  # UTC, exclusive
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), default=None
    )
    channel: Mapped[str] = mapped_column(String(16), default="")  # "" = every channel
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")

    municipality: Mapped[Municipality | None] = relationship()


class PlanSlot(Base):
    """A recurring time a channel publishes, e.g. the newsletter every other Thursday at 09:00."""

    __tablename__ = "plan_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM" in the organisation's zone
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)  # 2 = every other week
    anchor: Mapped[date] = mapped_column(Date)  # a week the slot runs in (for every_weeks > 1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RhythmGoal(Base):
    """How many items a channel should publish per calendar month (seed 003: 2–4 newsletters)."""

    __tablename__ = "rhythm_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), unique=True)
    per_month_min: Mapped[int] = mapped_column(Integer, default=0)
    per_month_max: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A user's private iCal feed of the schedule: only a hash of the secret is kept."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship()
