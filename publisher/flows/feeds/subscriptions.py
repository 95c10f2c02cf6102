"""Subscriptions: create, pause, resume, rotate the secret, cancel, and how each one is doing.

A private feed's token and a webhook's secret are shown once, when made or rotated: only a hash
of the token is kept; the webhook secret is kept because it signs every message. A digest waits
for its contact to confirm by email before the first one is sent.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drafts.states import audit
from publisher.config import Settings
from publisher.flows.feeds.digests import confirm_url
from publisher.flows.feeds.filters import Filter
from publisher.flows.feeds.models import (
    Delivery,
    Subscription,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookMessage,
    WebhookStatus,
)
from publisher.flows.feeds.notices import confirm_digest
from publisher.flows.feeds.ssrf import Network, UnsafeTarget, check_url, networks
from publisher.flows.feeds.webhooks import new_secret, resume
from publisher.mail import ADDRESS

CADENCES = ("weekly", "monthly")
TOKEN_PREFIX = "feed_"


class SubscriptionError(ValueError):
    """Input refused: `field` and `code` name the problem; `detail` adds the reason (SSRF)."""

    def __init__(self, field: str, code: str, detail: str = "") -> None:
        super().__init__(f"{field}: {code} {detail}".strip())
        self.field, self.code, self.detail = field, code, detail


@dataclass(frozen=True)
class SubscriptionInput:
    name: str
    contact_email: str
    delivery: str
    filter: Filter
    contact_name: str = ""
    municipality_id: int | None = None
    locale: str = "da"
    webhook_url: str = ""
    cadence: str = ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check(data: SubscriptionInput, allowed: tuple[Network, ...]) -> list[SubscriptionError]:
    """Every problem with the input (empty when it can be saved)."""
    problems = []
    if not data.name.strip() or len(data.name) > 160:
        problems.append(SubscriptionError("name", "required"))
    if not ADDRESS.match(data.contact_email or "") or len(data.contact_email) > 254:
        problems.append(SubscriptionError("contact_email", "invalid_email"))
    if len(data.contact_name) > 160:
        problems.append(SubscriptionError("contact_name", "too_long"))
    if data.delivery not in {d.value for d in Delivery}:
        problems.append(SubscriptionError("delivery", "invalid_choice"))
    if data.locale not in ("da", "en"):
        problems.append(SubscriptionError("locale", "invalid_choice"))
    if data.delivery == Delivery.WEBHOOK.value:
        if len(data.webhook_url) > 2000:
            problems.append(SubscriptionError("webhook_url", "too_long"))
        else:
            try:
                check_url(data.webhook_url.strip(), allowed)
            except UnsafeTarget as exc:
                problems.append(SubscriptionError("webhook_url", f"unsafe_{exc.kind}",
                                                  exc.subject))
    if data.delivery == Delivery.DIGEST.value and data.cadence not in CADENCES:
        problems.append(SubscriptionError("cadence", "invalid_choice"))
    return problems


def _new_token(sub: Subscription) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    sub.token_hash, sub.token_prefix = hash_token(token), token[:12]
    return token


def create(session: Session, data: SubscriptionInput, *, now: datetime, actor: str,
           allowed: tuple[Network, ...]) -> tuple[Subscription, str | None]:
    """Save a subscription (no commit); return it and its secret or token to show once.

    Raises the first SubscriptionError when the input is refused (see `check`)."""
    problems = check(data, allowed)
    if problems:
        raise problems[0]
    sub = Subscription(
        name=data.name.strip(), contact_name=data.contact_name.strip(),
        contact_email=data.contact_email.strip(), municipality_id=data.municipality_id,
        locale=data.locale, filters=data.filter.as_dict(), delivery=data.delivery,
        created_by=actor, created_at=now, updated_at=now,
        status=(SubscriptionStatus.PENDING.value if data.delivery == Delivery.DIGEST.value
                else SubscriptionStatus.ACTIVE.value),
    )
    shown: str | None = None
    if data.delivery == Delivery.FEED.value:
        shown = _new_token(sub)
    elif data.delivery == Delivery.WEBHOOK.value:
        sub.webhook_url = data.webhook_url.strip()
        sub.webhook_secret = shown = new_secret()
    else:
        sub.cadence = data.cadence
    session.add(sub)
    session.flush()
    return sub, shown


def subscribe(session: Session, data: SubscriptionInput, *, now: datetime,
              actor: tuple[str, int | None, str], settings: Settings
              ) -> tuple[Subscription, str | None]:
    """Create a subscription, ask a digest's contact to confirm, audit it (no commit).

    Returns the subscription and the secret or token to show once."""
    sub, shown = create(session, data, now=now, actor=actor[2],
                        allowed=networks(settings.webhook_allow_networks))
    if sub.delivery == Delivery.DIGEST.value:
        link = confirm_url(settings.base_url, settings.secret_key, sub)
        confirm_digest(session, settings, sub, now, link)
    audit(session, action="subscription.created", actor=actor, now=now,
          details={"subscription": sub.id, "delivery": sub.delivery})
    return sub, shown


def rotate(session: Session, sub: Subscription, now: datetime) -> str:
    """A new feed token or webhook secret; the old one stops working at once (no commit)."""
    if sub.delivery == Delivery.FEED.value:
        shown = _new_token(sub)
    elif sub.delivery == Delivery.WEBHOOK.value:
        sub.webhook_secret = shown = new_secret()
    else:
        raise SubscriptionError("delivery", "no_secret")
    sub.updated_at = now
    session.flush()
    return shown


def pause(session: Session, sub: Subscription, now: datetime, reason: str = "") -> None:
    """Stop deliveries until resumed (no commit); webhook messages wait, nothing is lost."""
    if sub.status != SubscriptionStatus.ACTIVE.value:
        raise SubscriptionError("status", "not_active")
    sub.status, sub.paused_reason, sub.updated_at = SubscriptionStatus.PAUSED.value, reason, now


def unpause(session: Session, sub: Subscription, now: datetime) -> None:
    """Resume a paused subscription (no commit); waiting webhook messages go out next."""
    if sub.status != SubscriptionStatus.PAUSED.value:
        raise SubscriptionError("status", "not_paused")
    resume(session, sub, now)


def cancel(session: Session, sub: Subscription, now: datetime) -> None:
    """End a subscription for good (no commit): its token stops working, nothing more is sent."""
    sub.status, sub.updated_at, sub.token_hash = SubscriptionStatus.CANCELLED.value, now, None


def confirm(session: Session, sub: Subscription, now: datetime) -> bool:
    """The contact confirmed a digest; False when there was nothing to confirm (no commit)."""
    if sub.status != SubscriptionStatus.PENDING.value:
        return False
    sub.status, sub.confirmed_at, sub.updated_at = SubscriptionStatus.ACTIVE.value, now, now
    return True


def by_token(session: Session, token: str) -> Subscription | None:
    """The active private-feed subscription a token belongs to."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 80:
        return None
    return session.scalar(select(Subscription).where(
        Subscription.token_hash == hash_token(token),
        Subscription.status == SubscriptionStatus.ACTIVE.value,
        Subscription.delivery == Delivery.FEED.value))


def listing(session: Session) -> list[Subscription]:
    return list(session.scalars(select(Subscription).order_by(Subscription.name,
                                                              Subscription.id)))


def delivery_log(session: Session, sub: Subscription, limit: int = 50) -> list[dict[str, Any]]:
    """The latest webhook tries of a subscription, newest first."""
    rows = session.execute(
        select(WebhookAttempt, WebhookMessage)
        .join(WebhookMessage, WebhookAttempt.message_id == WebhookMessage.id)
        .where(WebhookMessage.subscription_id == sub.id)
        .order_by(WebhookAttempt.at.desc(), WebhookAttempt.id.desc()).limit(limit))
    return [{"at": a.at, "message_id": m.message_id, "event": m.event_type,
             "attempt": a.id, "status_code": a.status_code, "error": a.error,
             "duration_ms": a.duration_ms, "message_status": m.status,
             "next_attempt_at": m.next_attempt_at if m.status == "pending" else None}
            for a, m in rows]


@dataclass(frozen=True)
class Health:
    """How a subscription is doing, for the secretariat's overview."""

    subscription: Subscription
    state: str  # ok | failing | paused | pending | cancelled
    delivered: int  # webhook messages delivered in the last 7 days
    waiting: int
    failed: int
    last_attempt: datetime | None
    last_error: str


def health(session: Session, now: datetime) -> list[Health]:
    """Every subscription with its state and recent webhook figures."""
    week = now - timedelta(days=7)
    counts: dict[tuple[int, str], int] = {}
    for sub_id, status, n in session.execute(
            select(WebhookMessage.subscription_id, WebhookMessage.status,
                   func.count(WebhookMessage.id))
            .where(WebhookMessage.created_at >= week)
            .group_by(WebhookMessage.subscription_id, WebhookMessage.status)):
        counts[(sub_id, status)] = n
    result = []
    for sub in listing(session):
        last = session.execute(
            select(WebhookAttempt.at, WebhookAttempt.error).join(WebhookMessage)
            .where(WebhookMessage.subscription_id == sub.id)
            .order_by(WebhookAttempt.at.desc(), WebhookAttempt.id.desc()).limit(1)).first()
        waiting = (counts.get((sub.id, WebhookStatus.PENDING.value), 0)
                   + counts.get((sub.id, WebhookStatus.SENDING.value), 0))
        failed = counts.get((sub.id, WebhookStatus.FAILED.value), 0)
        if sub.status != SubscriptionStatus.ACTIVE.value:
            state = sub.status
        elif last is not None and last[1]:
            state = "failing"
        else:
            state = "ok"
        result.append(Health(sub, state, counts.get((sub.id, WebhookStatus.DELIVERED.value), 0),
                             waiting, failed, last[0] if last else None,
                             last[1] if last else ""))
    return result
