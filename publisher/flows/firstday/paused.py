"""Configuration failures: one notice per account, not one per delivery, and the deliveries that
failed for it go out again once a person has fixed the account.

A configuration failure (channels.base.Cause.CONFIGURATION: no sender name, an expired token …)
is the account's, not the post's: every delivery to that account fails the same way until a
person fixes the account. The secretariat is told once per account and outage (until a delivery
to the account succeeds again); when the account is saved, the deliveries that failed for its
configuration are scheduled again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.base import Cause, cause_of
from drafts.mailbox import OutgoingMail
from drafts.models import ChannelAccount
from drafts.states import Status
from schedules.dispatcher import retry_now
from schedules.models import Delivery, DeliveryStatus


def notice_kind(account: ChannelAccount) -> str:
    """The mail kind that marks an account's configuration notice (one per outage)."""
    return f"account_config_{account.id}"[:32]


def is_configuration(delivery: Delivery) -> bool:
    return bool(delivery.last_error) and cause_of(delivery.last_error) == Cause.CONFIGURATION


def already_told(session: Session, account: ChannelAccount) -> bool:
    """Whether the secretariat was told about this account since it last published."""
    last_ok = session.scalar(
        select(func.max(Delivery.updated_at)).where(
            Delivery.account_id == account.id, Delivery.status == DeliveryStatus.PUBLISHED.value
        )
    )
    query = select(OutgoingMail.id).where(OutgoingMail.kind == notice_kind(account))
    if last_ok is not None:
        query = query.where(OutgoingMail.created_at > last_ok)
    return session.scalar(query.limit(1)) is not None


def waiting(session: Session, account: ChannelAccount) -> list[Delivery]:
    """The account's deliveries that failed for its configuration (they wait for the fix)."""
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.account_id == account.id, Delivery.status == DeliveryStatus.FAILED.value)
        .order_by(Delivery.id)
    )
    return [d for d in rows if is_configuration(d)]


def resume(
    session: Session, account: ChannelAccount, now: datetime, actor: tuple[str, int | None, str]
) -> list[Delivery]:
    """After a fix: schedule again the deliveries that failed for the account's configuration
    (drafts still scheduled with the same content); return them (no commit)."""
    resumed = []
    for delivery in waiting(session, account):
        draft = delivery.draft
        if draft.status != Status.SCHEDULED or draft.content_hash != delivery.content_hash:
            continue
        retry_now(session, delivery, now, actor=actor)
        resumed.append(delivery)
    return resumed
