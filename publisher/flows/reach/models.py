"""Reach tables: raw snapshots (append-only), the rollup the screens read, the collection plan.

- `reach_snapshot`: one row per figure per collection, exactly as the platform named it
  (`layer="platform"`), plus the normalised figures the adapter derived (`layer="normalised"`:
  reach, views, engagements, clicks, opens; newsletter figures also per subscriber
  municipality in `segment`). Never updated or deleted: it is the history.
- `reach_rollup`: per item × normalised metric × segment, the latest figure, filed under the
  item's publication day (Europe/Copenhagen). Dashboards and reports read only this table (and
  the tracked-link clicks, already one row per link per day), so what they cost depends on the
  period asked for, not on how much history there is.
- `reach_collection`: per published delivery, which collection is next (+1 h, +24 h, +7 d,
  +28 d) and when, and how the last try went (a failed collection is retried and shown).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from drafts.models import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


class ReachSnapshot(Base):
    """One figure from one collection (append-only)."""

    __tablename__ = "reach_snapshot"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"))
    observed_at: Mapped[datetime]
    stage: Mapped[str] = mapped_column(String(8))  # 1h | 24h | 7d | 28d | now
    layer: Mapped[str] = mapped_column(String(12))  # platform | normalised
    metric: Mapped[str] = mapped_column(String(120))
    segment: Mapped[str] = mapped_column(String(64), default="")  # municipality slug or ""
    value: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_reach_snapshot_delivery_observed", "delivery_id", "observed_at"),)


class ReachRollup(Base):
    """An item's latest normalised figure, filed under its publication day."""

    __tablename__ = "reach_rollup"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("delivery.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    segment: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    day: Mapped[date] = mapped_column(Date)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id"), default=None)
    value: Mapped[int] = mapped_column(BigInteger)
    observed_at: Mapped[datetime]

    __table_args__ = (Index("ix_reach_rollup_day", "day", "channel"),)


class ReachCollection(Base):
    """The collection plan of one published delivery."""

    __tablename__ = "reach_collection"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("delivery.id", ondelete="CASCADE"), primary_key=True
    )
    next_stage: Mapped[int] = mapped_column(Integer, default=0)  # index into STAGES; len = done
    due_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed tries of this stage
    last_error: Mapped[str] = mapped_column(String(32), default="")  # channels REASONS key
    last_error_detail: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
