"""The leader's periodic jobs: the reconciliation sweep and the token-health check."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from drafts.models import ChannelAccount
from schedules.models import Delivery, DeliveryStatus


def sweep_expired_leases(session: Session, now: datetime) -> int:
    """Mark running deliveries whose worker died (lease expired) unconfirmed; return how many.

    Claims pick these up by themselves; the sweep makes the state honest for the screens and
    the metrics while no worker has room to claim them.
    """
    result = session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.RUNNING.value, Delivery.lease_until < now)
        .values(status=DeliveryStatus.UNCONFIRMED.value, next_attempt_at=now, lease_until=None,
                claim_token="", claimed_by="", last_error="outcome_unknown",
                last_error_detail="the worker stopped while publishing", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def check_tokens(session: Session, now: datetime, warn_days: float) -> list[ChannelAccount]:
    """Mark accounts whose token expires soon or has expired; return those newly marked.

    An account is returned once when it becomes "expiring" and once when it becomes "expired",
    so the leader warns the secretariat without repeating itself every run.
    """
    horizon = now + timedelta(days=warn_days)
    accounts = session.scalars(
        select(ChannelAccount).where(
            ChannelAccount.active.is_(True),
            ChannelAccount.token_expires_at.is_not(None),
            ChannelAccount.token_expires_at <= horizon,
        )
    ).all()
    changed = []
    for account in accounts:
        assert account.token_expires_at is not None
        health = "expired" if account.token_expires_at <= now else "expiring"
        if account.health == health:
            continue
        account.health = health
        account.health_detail = f"token expires {account.token_expires_at.isoformat()}"
        account.checked_at = now
        changed.append(account)
    session.commit()
    return changed
