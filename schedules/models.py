"""The schedule's tables: one delivery per draft × channel account, one attempt row per try.

The database is the queue (DESIGN §5): a delivery's `status` says where it is, `lease_until` and
`claim_token` say which worker owns it right now, and `state` keeps every platform id the moment
it is known so that a restart resumes a multi-step flow instead of repeating it.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drafts.models import Base, ChannelAccount, Draft, utcnow


class DeliveryStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for due_at (or next_attempt_at after a retryable error)
    RUNNING = "running"  # claimed by a worker under a lease
    UNCONFIRMED = "unconfirmed"  # the platform may have it: ask find_existing before sending
    PUBLISHED = "published"
    FAILED = "failed"  # permanent error, or retries used up; a person can "retry now"
    HELD = "held"  # waits for a person (too late, or cannot tell whether it went out)
    CANCELLED = "cancelled"


# Deliveries no worker will touch again unless a person acts.
FINAL = frozenset({DeliveryStatus.PUBLISHED, DeliveryStatus.CANCELLED})
# A worker may be talking to the platform about these right now (or died doing so).
IN_FLIGHT = frozenset({DeliveryStatus.RUNNING, DeliveryStatus.UNCONFIRMED})


class HeldReason(enum.StrEnum):
    LATE = "late"  # more than max_lateness late for its first try (e.g. after an outage)
    CANNOT_TELL = "cannot_tell"  # reconciliation could not tell whether the post exists
    CONTENT_CHANGED = "content_changed"  # edited while its outcome was still unknown


HELD_REASONS: dict[str, tuple[str, str]] = {
    HeldReason.LATE: (
        "Opslaget er ikke sendt, fordi det ville komme for sent ud. Send det nu eller planlæg det "
        "igen.",
        "Not sent because it would go out too late. Send it now or schedule it again.",
    ),
    HeldReason.CANNOT_TELL: (
        "Vi kan ikke se, om opslaget kom ud. Tjek platformen, før det sendes igen.",
        "We cannot tell whether the post went out. Check the platform before sending it again.",
    ),
    HeldReason.CONTENT_CHANGED: (
        "Indholdet blev ændret, mens vi ventede på svar fra platformen. Tjek platformen.",
        "The content changed while we waited for the platform's answer. Check the platform.",
    ),
}


def held_reason_text(reason: str, lang: str = "da") -> str:
    """The plain-words text for a held reason key."""
    da, en = HELD_REASONS.get(reason, HELD_REASONS[HeldReason.CANNOT_TELL])
    return en if lang == "en" else da


def new_marker() -> str:
    """A marker unique to one delivery, kept for its whole life (find_existing matches it)."""
    return "pub-" + secrets.token_hex(8)


class Delivery(Base):
    """One draft going to one channel account."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("channel_account.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.SCHEDULED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # publish calls made
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")  # worker id
    claim_token: Mapped[str] = mapped_column(String(32), default="")  # fences one claim
    claimed_from: Mapped[str] = mapped_column(String(16), default="")  # status before the claim
    external_id: Mapped[str] = mapped_column(String(120), default="")
    external_url: Mapped[str] = mapped_column(String(2000), default="")
    last_error: Mapped[str] = mapped_column(String(32), default="")  # channels REASONS key
    last_error_detail: Mapped[str] = mapped_column(Text, default="")
    held_reason: Mapped[str] = mapped_column(String(32), default="")  # HELD_REASONS key
    content_stale: Mapped[bool] = mapped_column(Boolean, default=False)  # edited while in flight
    marker: Mapped[str] = mapped_column(String(40), unique=True, default=new_marker)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    draft: Mapped[Draft] = relationship()
    account: Mapped[ChannelAccount] = relationship()
    attempt_rows: Mapped[list[Attempt]] = relationship(
        back_populates="delivery", order_by="Attempt.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        # The claim query: due work by status, oldest first.
        Index("ix_delivery_status_due_at", "status", "due_at"),
        # ... and in the order it takes it: by the effective due time (a retry waits for its
        # next_attempt_at), then id; claim.find_due reads it one status at a time (issue 14).
        Index("ix_delivery_status_effective_due", "status",
              func.coalesce(next_attempt_at, due_at), "id"),
    )

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel} {self.status}>"


class Attempt(Base):
    """One try at a delivery: a publish or a reconciliation, and how it ended."""

    __tablename__ = "delivery_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("delivery.id", ondelete="CASCADE"), index=True
    )
    worker: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(16))  # publish | reconcile
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # started (never finished: the worker died) | published | found | absent | retry | failed
    # | unconfirmed | held | lost_lease
    outcome: Mapped[str] = mapped_column(String(16), default="started")
    error: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_rows")


class LeaderLease(Base):
    """Who runs the once-per-cluster jobs on SQLite (PostgreSQL uses an advisory lock)."""

    __tablename__ = "leader_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]
