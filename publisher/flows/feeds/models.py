"""The tables of feeds and subscriptions.

`PublicItem` is the public record: a snapshot of an article or event taken when it went public,
renewed when it changes, marked when it is withdrawn. Pages, feeds, webhooks and digests read it,
never the drafts, so they show exactly what was approved and cost one small query.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drafts.models import Base, Municipality, utcnow


class PublicItem(Base):
    """One published article or event as the public sees it."""

    __tablename__ = "public_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("draft.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    initiative: Mapped[str] = mapped_column(String(64), default="")
    municipalities: Mapped[list[Any]] = mapped_column(default=list)  # slugs
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)  # names, venue, link, ...
    event_start: Mapped[datetime | None] = mapped_column(default=None, index=True)
    event_end: Mapped[datetime | None] = mapped_column(default=None)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCal SEQUENCE: +1 per update
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by: Mapped[str] = mapped_column(String(16), default="")  # system | person
    # Any change (publish, update, withdraw): feeds' caches and Last-Modified follow it.
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None


class SubscriptionStatus(enum.StrEnum):
    PENDING = "pending"  # a digest waits for its contact to confirm by email
    ACTIVE = "active"
    PAUSED = "paused"  # by a person, or after repeated webhook failures
    CANCELLED = "cancelled"  # unsubscribed or revoked; kept for the log


class Delivery(enum.StrEnum):
    FEED = "feed"
    WEBHOOK = "webhook"
    DIGEST = "digest"


class Subscription(Base):
    """A municipality contact's curated filter and how it reaches them."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    contact_name: Mapped[str] = mapped_column(String(160), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    locale: Mapped[str] = mapped_column(String(8), default="da")
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    delivery: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SubscriptionStatus.ACTIVE.value)
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    # private feed: only a hash of the token is kept
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    token_prefix: Mapped[str] = mapped_column(String(16), default="")
    # webhook: the secret signs every message, so it is kept (shown to people once)
    webhook_url: Mapped[str] = mapped_column(String(2000), default="")
    webhook_secret: Mapped[str] = mapped_column(String(120), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)  # deliveries given up in a row
    # digest
    cadence: Mapped[str] = mapped_column(String(16), default="")  # weekly | monthly
    last_digest_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)

    municipality: Mapped[Municipality | None] = relationship()


class WebhookStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until lease_until
    DELIVERED = "delivered"
    FAILED = "failed"  # retries used up


class WebhookMessage(Base):
    """One event for one webhook subscription, retried with backoff until delivered."""

    __tablename__ = "webhook_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=WebhookStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_webhook_message_status_next", "status", "next_attempt_at"),)


class WebhookAttempt(Base):
    """One try at delivering a message: the delivery log shown per subscription."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_message.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
