"""Email digests: weekly or monthly, the new items a subscription wants, with List-Unsubscribe
and one-click unsubscribe (RFC 8058).

A digest is claimed by moving the subscription's `last_digest_at` with a conditional UPDATE (so
two workers never both send it) and sent straight to SMTP with its own headers; if sending fails
the claim is undone and the next run tries again. A period without new items sends nothing.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from drafts.mailbox import OutgoingMail
from publisher.flows.feeds.filters import from_dict
from publisher.flows.feeds.items import item_path, live_items
from publisher.flows.feeds.models import Delivery, PublicItem, Subscription, SubscriptionStatus
from publisher.flows.feeds.notices import render_mail
from publisher.mail import MailSettings, Transport, build_message

log = logging.getLogger(__name__)
PERIODS = {"weekly": timedelta(days=7), "monthly": timedelta(days=30)}
CONFIRM_DAYS = 14


def unsubscribe_token(secret_key: str, sub: Subscription) -> str:
    """A lasting token for the unsubscribe link (it must work in every old digest)."""
    return str(URLSafeSerializer(secret_key, salt="feeds-unsubscribe").dumps(sub.id))


def confirm_token(secret_key: str, sub: Subscription) -> str:
    return str(URLSafeTimedSerializer(secret_key, salt="feeds-confirm").dumps(sub.id))


def load_token(secret_key: str, token: str, kind: str) -> int | None:
    """The subscription id in an unsubscribe or confirm token; None when it is not ours."""
    try:
        if kind == "confirm":
            value = URLSafeTimedSerializer(secret_key, salt="feeds-confirm").loads(
                token, max_age=CONFIRM_DAYS * 86400)
        else:
            value = URLSafeSerializer(secret_key, salt="feeds-unsubscribe").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(base_url: str, secret_key: str, sub: Subscription) -> str:
    return f"{base_url.rstrip('/')}/s/unsubscribe/{unsubscribe_token(secret_key, sub)}"


def confirm_url(base_url: str, secret_key: str, sub: Subscription) -> str:
    return f"{base_url.rstrip('/')}/s/confirm/{confirm_token(secret_key, sub)}"


def due(session: Session, now: datetime) -> list[Subscription]:
    """Active digests whose period has passed since the last one (or the confirmation)."""
    subs = session.scalars(select(Subscription).where(
        Subscription.delivery == Delivery.DIGEST.value,
        Subscription.status == SubscriptionStatus.ACTIVE.value))
    return [s for s in subs
            if (s.last_digest_at or s.confirmed_at or s.created_at) + PERIODS[s.cadence] <= now]


def items_for(session: Session, sub: Subscription, since: datetime, now: datetime
              ) -> list[PublicItem]:
    wanted = from_dict(sub.filters)
    return [i for i in live_items(session) if since < i.published_at <= now
            and wanted.matches(i, now)][::-1]


def _claim(session: Session, sub: Subscription, now: datetime) -> datetime | None:
    """Move last_digest_at to now if nobody else did; return the old value (the period start)."""
    before = sub.last_digest_at
    since = before or sub.confirmed_at or sub.created_at
    condition = (Subscription.last_digest_at.is_(None) if before is None
                 else Subscription.last_digest_at == before)
    taken = session.execute(
        update(Subscription).where(Subscription.id == sub.id, condition)
        .values(last_digest_at=now).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return since if taken else None


def message_for(sub: Subscription, items: list[PublicItem], settings: MailSettings,
                base_url: str, since: datetime) -> Any:
    """The digest as an EmailMessage with List-Unsubscribe and List-Unsubscribe-Post."""
    link = unsubscribe_url(base_url, settings.secret_key, sub)
    urls = {i.id: base_url.rstrip("/") + item_path(i) for i in items}
    subject, text, html = render_mail(
        "feeds_digest", sub.locale,
        lambda: _("%(name)s: new since %(since)s (%(num)s)", name=sub.name, num=len(items),
                  since=format_date(since, "long")), sub=sub, items=items,
        urls=urls, unsubscribe=link, since=since)
    mail = OutgoingMail(kind="feeds_digest", to_addr=sub.contact_email,
                        to_name=sub.contact_name, subject=subject, locale=sub.locale)
    message = build_message(mail, settings.mail_from, text, html)
    message["List-Unsubscribe"] = f"<{link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Id"] = f"{sub.name} <digest-{sub.id}.publisher>"
    message.replace_header("Auto-Submitted", "auto-generated")
    return message


def send_due(session: Session, now: datetime, settings: MailSettings, base_url: str,
             transport: Transport) -> dict[str, int]:
    """Send every digest that is due; count sent, empty and failed."""
    counts = {"sent": 0, "empty": 0, "failed": 0}
    for sub in due(session, now):
        before = sub.last_digest_at
        since = _claim(session, sub, now)
        if since is None:
            continue
        items = items_for(session, sub, since, now)
        if not items:
            counts["empty"] += 1
            continue
        try:
            transport(message_for(sub, items, settings, base_url, since), sub.contact_email)
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            log.warning("digest %s not sent, tried again next run: %s", sub.id, exc)
            session.execute(update(Subscription).where(Subscription.id == sub.id)
                            .values(last_digest_at=before))
            session.commit()
            counts["failed"] += 1
            continue
        counts["sent"] += 1
    return counts


def unsubscribe(session: Session, sub: Subscription, now: datetime) -> bool:
    """Stop the digest (no commit); False if it had already stopped."""
    if sub.status == SubscriptionStatus.CANCELLED.value:
        return False
    sub.status, sub.updated_at = SubscriptionStatus.CANCELLED.value, now
    return True
