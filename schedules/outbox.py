"""Writing the schedule: deliveries are created, moved and withdrawn in the caller's transaction.

Scheduling writes one delivery per channel account in the same transaction that moves the draft
to `scheduled` (an outbox): either both are committed or neither, and no worker is told anything
until the commit, because workers only read committed rows.

A delivery that has not started (status `scheduled`, or failed/held-late and so idle) may be
moved or cancelled. One that a worker may be talking to the platform about (`running`,
`unconfirmed`, held because the outcome is unknown) is left alone to finish or reconcile, and is
flagged `content_stale` when the content changes under it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from drafts.models import ChannelAccount, Draft
from drafts.states import Actor, Status, audit, transition
from schedules.models import Delivery, DeliveryStatus, HeldReason
from schedules.slots import quiet_periods_for

SYSTEM: Actor = ("system", None, "scheduler")


class ScheduleError(ValueError):
    """The draft cannot be scheduled as asked (no accounts, an inactive account, ...)."""


def not_started(delivery: Delivery) -> bool:
    """True when no worker holds the delivery and nothing may be on the platform for it."""
    status = DeliveryStatus(delivery.status)
    if status in (DeliveryStatus.SCHEDULED, DeliveryStatus.FAILED):
        return True
    return status == DeliveryStatus.HELD and delivery.held_reason == HeldReason.LATE


def _not_started_sql() -> ColumnElement[bool]:
    """`not_started` as a condition, so a change is made only if a worker has not claimed the
    delivery since we read it."""
    return or_(
        Delivery.status.in_([DeliveryStatus.SCHEDULED.value, DeliveryStatus.FAILED.value]),
        and_(Delivery.status == DeliveryStatus.HELD.value,
             Delivery.held_reason == HeldReason.LATE.value),
    )


def _update_if_not_started(session: Session, delivery: Delivery, **values: Any) -> bool:
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, _not_started_sql())
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def active_deliveries(session: Session, draft: Draft) -> list[Delivery]:
    """The draft's deliveries that are not cancelled, oldest first."""
    query = (
        select(Delivery)
        .where(Delivery.draft_id == draft.id, Delivery.status != DeliveryStatus.CANCELLED)
        .order_by(Delivery.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def schedule_draft(
    session: Session,
    draft: Draft,
    accounts: Sequence[ChannelAccount],
    now: datetime,
    *,
    due_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> list[Delivery]:
    """Write one delivery per account and move the draft approved → scheduled (no commit)."""
    if not accounts:
        raise ScheduleError("no channel accounts to publish to")
    inactive = [a.name for a in accounts if not a.active]
    if inactive:
        raise ScheduleError(f"inactive channel accounts: {', '.join(inactive)}")
    when = due_at or draft.desired_at or now
    if when.tzinfo is None:
        raise ScheduleError("due time must be timezone-aware (UTC)")
    quiet = quiet_periods_for(session, draft, when)
    if quiet:
        raise ScheduleError(f"quiet period: {quiet[0].title}")
    transition(session, draft, "schedule", actor=actor, now=now)
    existing = {d.account_id for d in active_deliveries(session, draft)}
    created = [
        Delivery(
            draft_id=draft.id, account_id=account.id, channel=account.platform, due_at=when,
            content_hash=draft.content_hash, created_at=now, updated_at=now,
        )
        for account in accounts
        if account.id not in existing
    ]
    session.add_all(created)
    session.flush()
    audit(session, action="deliveries_scheduled", actor=actor, now=now, draft=draft,
          details={"due_at": when.isoformat(), "deliveries": [d.id for d in created]})
    return created


def reschedule(
    session: Session, draft: Draft, due_at: datetime, now: datetime, *, actor: Actor = SYSTEM
) -> list[Delivery]:
    """Move the draft's not-started deliveries to `due_at`; return the ones moved."""
    moved = [
        d for d in active_deliveries(session, draft)
        if not_started(d) and _update_if_not_started(
            session, d, due_at=due_at, next_attempt_at=None, updated_at=now, attempts=0,
            held_reason="", status=DeliveryStatus.SCHEDULED.value,
        )
    ]
    before = draft.desired_at
    draft.desired_at = due_at
    session.flush()
    audit(session, action="rescheduled", actor=actor, now=now, draft=draft,
          details={"from": before.isoformat() if before else None, "to": due_at.isoformat(),
                   "deliveries": [d.id for d in moved]})
    return moved


def cancel_deliveries(
    session: Session, deliveries: Iterable[Delivery], now: datetime, *, why: str
) -> tuple[list[Delivery], list[Delivery]]:
    """Cancel those not started, flag the rest as stale; return (cancelled, flagged)."""
    cancelled, flagged = [], []
    for delivery in deliveries:
        if delivery.status in (DeliveryStatus.PUBLISHED, DeliveryStatus.CANCELLED):
            continue
        if _update_if_not_started(session, delivery, status=DeliveryStatus.CANCELLED.value,
                                  next_attempt_at=None, last_error_detail=why, updated_at=now):
            cancelled.append(delivery)
        else:  # a worker has it (or may have published it): let it finish, but say so
            delivery.content_stale = True
            delivery.updated_at = now
            flagged.append(delivery)
    session.flush()
    return cancelled, flagged


def cancel_delivery(
    session: Session, delivery: Delivery, now: datetime, *, actor: Actor = SYSTEM
) -> None:
    """Cancel one not-started delivery (one channel of a scheduled draft)."""
    if not not_started(delivery):
        raise ScheduleError(f"delivery {delivery.id} is {delivery.status} and cannot be cancelled")
    cancel_deliveries(session, [delivery], now, why="cancelled")
    audit(session, action="delivery_cancelled", actor=actor, now=now, draft=delivery.draft,
          details={"delivery": delivery.id, "channel": delivery.channel})


def withdraw(session: Session, draft: Draft, now: datetime, *, why: str,
             actor: Actor = SYSTEM) -> tuple[list[Delivery], list[Delivery]]:
    """Cancel the draft's not-started deliveries and flag those in flight (no status change)."""
    cancelled, flagged = cancel_deliveries(session, active_deliveries(session, draft), now,
                                           why=why)
    if cancelled or flagged:
        audit(session, action="deliveries_withdrawn", actor=actor, now=now, draft=draft,
              details={"why": why, "cancelled": [d.id for d in cancelled],
                       "in_flight": [d.id for d in flagged]})
    return cancelled, flagged


def unschedule(session: Session, draft: Draft, now: datetime, *, actor: Actor = SYSTEM) -> None:
    """Take a scheduled draft off the schedule (back to approved), withdrawing its deliveries."""
    withdraw(session, draft, now, why="unscheduled", actor=actor)
    transition(session, draft, "unschedule", actor=actor, now=now)


def cancel_draft(session: Session, draft: Draft, now: datetime, *, actor: Actor = SYSTEM) -> None:
    """Cancel the draft and withdraw its deliveries."""
    withdraw(session, draft, now, why="cancelled", actor=actor)
    transition(session, draft, "cancel", actor=actor, now=now)


def withdraw_after_edit(session: Session, draft: Draft, now: datetime) -> None:
    """An edit voided the approval, so nothing not started may go out."""
    withdraw(session, draft, now, why="content changed; approval voided")


def follow_desired_time(session: Session, draft: Draft, now: datetime) -> None:
    """The desired time moved: move a scheduled draft's deliveries that have not started."""
    if draft.status != Status.SCHEDULED.value:
        return
    due = draft.desired_at or now
    for delivery in active_deliveries(session, draft):
        if not_started(delivery):
            _update_if_not_started(session, delivery, due_at=due, next_attempt_at=None,
                                   updated_at=now, attempts=0, held_reason="",
                                   status=DeliveryStatus.SCHEDULED.value)
    session.flush()
