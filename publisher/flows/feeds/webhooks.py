"""Webhooks: JSON events signed per the Standard Webhooks specification, retried with backoff.

Each change of the public record that a webhook subscription's filter wants becomes one
`WebhookMessage` in the same transaction (an outbox). `deliver_due` claims due messages with a
conditional UPDATE (safe from several workers), POSTs them through the SSRF guard, logs every
try, and backs off as the specification recommends (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h:
about a day). A message that used up its tries pauses the subscription and mails its owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from publisher.flows.feeds.filters import from_dict
from publisher.flows.feeds.items import Change
from publisher.flows.feeds.models import (
    Delivery,
    PublicItem,
    Subscription,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookMessage,
    WebhookStatus,
)
from publisher.flows.feeds.ssrf import Network, UnsafeTarget, check_url, guarded_session

log = logging.getLogger(__name__)
BACKOFF = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)  # seconds
MAX_ATTEMPTS = len(BACKOFF) + 1
MAX_REDIRECTS = 3
LEASE = timedelta(minutes=2)
ERROR_CHARS = 500


def new_secret() -> str:
    """A signing secret in the specification's form: whsec_ + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature value: v1, + base64 HMAC-SHA256 of "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def item_data(item: PublicItem, url: str) -> dict[str, Any]:
    """What a webhook (and the API) says about an item."""
    return {
        "id": item.id, "kind": item.kind, "title": item.title, "summary": item.summary,
        "url": url, "initiative": item.initiative, "municipalities": list(item.municipalities),
        "published_at": item.published_at.isoformat(), "updated_at": item.updated_at.isoformat(),
        "withdrawn_at": item.withdrawn_at.isoformat() if item.withdrawn_at else None,
        "sequence": item.sequence,
        "event": ({"start": item.event_start.isoformat(),
                   "end": item.event_end.isoformat() if item.event_end else None,
                   "venue": item.facts.get("venue", ""),
                   "address": item.facts.get("address", "")}
                  if item.event_start is not None else None),
    }


def enqueue(session: Session, changes: Sequence[Change], now: datetime,
            item_url: Callable[[PublicItem], str]) -> list[WebhookMessage]:
    """One message per change per active webhook subscription that wants it (no commit)."""
    if not changes:
        return []
    subs = list(session.scalars(select(Subscription).where(
        Subscription.delivery == Delivery.WEBHOOK.value,
        Subscription.status.in_([SubscriptionStatus.ACTIVE.value,
                                 SubscriptionStatus.PAUSED.value]))))
    messages = []
    for change in changes:
        for sub in subs:
            # "upcoming" must not hide an event's withdrawal or update from who got it
            wanted = from_dict({**sub.filters, "upcoming": False})
            if not wanted.matches(change.item, now):
                continue
            message = WebhookMessage(
                subscription_id=sub.id, message_id="msg_" + secrets.token_urlsafe(18),
                event_type=change.event, created_at=now, next_attempt_at=now,
                payload={"type": change.event, "timestamp": now.isoformat(),
                         "data": item_data(change.item, item_url(change.item))})
            session.add(message)
            messages.append(message)
    session.flush()
    return messages


def due_ids(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Messages of active subscriptions that are due, or whose sender's lease ran out."""
    return list(session.scalars(
        select(WebhookMessage.id).join(Subscription)
        .where(Subscription.status == SubscriptionStatus.ACTIVE.value, or_(
            (WebhookMessage.status == WebhookStatus.PENDING.value)
            & (WebhookMessage.next_attempt_at <= now),
            (WebhookMessage.status == WebhookStatus.SENDING.value)
            & (WebhookMessage.lease_until < now)))
        .order_by(WebhookMessage.id).limit(limit)))


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    taken = session.execute(
        update(WebhookMessage)
        .where(WebhookMessage.id == message_id, or_(
            (WebhookMessage.status == WebhookStatus.PENDING.value)
            & (WebhookMessage.next_attempt_at <= now),
            (WebhookMessage.status == WebhookStatus.SENDING.value)
            & (WebhookMessage.lease_until < now)))
        .values(status=WebhookStatus.SENDING.value, attempts=WebhookMessage.attempts + 1,
                lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(taken)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(http: requests.Session, url: str, headers: dict[str, str], body: bytes,
         allowed: tuple[Network, ...], timeout: float) -> Outcome:
    """POST once, following only 307/308 redirects to addresses that pass the guard."""
    started = time.monotonic()
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url, allowed)
            response = http.post(url, data=body, headers=headers, timeout=timeout,
                                 allow_redirects=False)
            response.close()
            location = response.headers.get("Location")
            if response.status_code in (307, 308) and location:
                url = requests.compat.urljoin(url, location)
                continue
            error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
            if 300 <= response.status_code < 400:
                error = (f"HTTP {response.status_code}: "
                         "redirects other than 307/308 are not followed")
            return Outcome(response.status_code, error, _ms(started))
        return Outcome(None, "too many redirects", _ms(started))
    except UnsafeTarget as exc:
        return Outcome(None, f"refused: {exc.reason}", _ms(started))
    except requests.RequestException as exc:
        reason = exc.__context__ if isinstance(exc.__context__, UnsafeTarget) else exc
        return Outcome(None, f"{type(reason).__name__}: {reason}"[:ERROR_CHARS], _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def next_delay(attempts: int) -> float | None:
    """Seconds to wait after `attempts` failed tries (±10 % jitter); None when they are used up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = BACKOFF[attempts - 1]
    return base * random.uniform(0.9, 1.1)  # noqa: S311 (spreading load, not security)


Pauser = Callable[[Session, Subscription, datetime], object]


def deliver_one(session: Session, message_id: int, now: datetime, *, http: requests.Session,
                allowed: tuple[Network, ...], timeout: float, on_pause: Pauser) -> str:
    """Claim and send one message; return delivered, retry, failed or skipped."""
    if not _claim(session, message_id, now):
        return "skipped"
    message = session.scalars(select(WebhookMessage).where(WebhookMessage.id == message_id)
                              .execution_options(populate_existing=True)).one()
    sub = session.get(Subscription, message.subscription_id)
    assert sub is not None
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json", "User-Agent": "Publisher-Webhooks/1",
        "webhook-id": message.message_id, "webhook-timestamp": str(stamp),
        "webhook-signature": sign(sub.webhook_secret, message.message_id, stamp, body),
    }
    outcome = post(http, sub.webhook_url, headers, body, allowed, timeout)
    session.add(WebhookAttempt(message_id=message.id, at=now, status_code=outcome.status_code,
                               error=outcome.error, duration_ms=outcome.duration_ms))
    message.last_status, message.last_error, message.lease_until = (
        outcome.status_code, outcome.error, None)
    if outcome.ok:
        message.status, message.delivered_at = WebhookStatus.DELIVERED.value, now
        sub.failures = 0
        session.commit()
        return "delivered"
    delay = next_delay(message.attempts)
    if delay is not None:
        message.status = WebhookStatus.PENDING.value
        message.next_attempt_at = now + timedelta(seconds=delay)
        session.commit()
        return "retry"
    message.status = WebhookStatus.FAILED.value
    sub.failures += 1
    if sub.status == SubscriptionStatus.ACTIVE.value:
        sub.status = SubscriptionStatus.PAUSED.value
        sub.paused_reason = (f"{message.attempts} tries over a day failed; last: "
                             f"{outcome.error}")[:ERROR_CHARS]
        sub.updated_at = now
        on_pause(session, sub, now)
    session.commit()
    return "failed"


def deliver_due(session: Session, now: datetime, *, allowed: tuple[Network, ...],
                timeout: float, on_pause: Pauser, http: requests.Session | None = None
                ) -> dict[str, int]:
    """Send every due message once; count the outcomes."""
    http = http or guarded_session(allowed)
    counts: dict[str, int] = {}
    for message_id in due_ids(session, now):
        outcome = deliver_one(session, message_id, now, http=http, allowed=allowed,
                              timeout=timeout, on_pause=on_pause)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def resume(session: Session, sub: Subscription, now: datetime) -> None:
    """Activate a paused webhook again; its waiting messages go out at once (no commit)."""
    sub.status, sub.paused_reason, sub.failures, sub.updated_at = (
        SubscriptionStatus.ACTIVE.value, "", 0, now)
    session.execute(
        update(WebhookMessage)
        .where(WebhookMessage.subscription_id == sub.id,
               WebhookMessage.status.in_([WebhookStatus.PENDING.value,
                                          WebhookStatus.FAILED.value]))
        .values(status=WebhookStatus.PENDING.value, next_attempt_at=now, attempts=0)
        .execution_options(synchronize_session=False))
