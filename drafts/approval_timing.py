"""Approval deadlines and reminders: what is due now (the worker's leader asks regularly).

The deadline is `deadline_hours` before the draft's publishing time, fitted to the time left when
the approvers were asked (drafts.approvals.fitted_deadline). A reminder goes to each
approver who has not decided `reminder_hours` before the deadline (once per request). At the
deadline a draft still in review is held: its policy row records when, and the publisher tells
the secretariat. A draft approved after its deadline is not scheduled until a person releases it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from drafts.approvals import (
    ApprovalPolicy,
    ApprovalRequest,
    Decision,
    Policy,
    deadline_of,
    draft_policy_row,
    effective_policy,
    ensure_policy_row,
)
from drafts.models import Draft
from drafts.states import Actor, Status, audit

SYSTEM = ("system", None, "approvals")


def _in_review(session: Session) -> list[Draft]:
    return list(session.scalars(
        select(Draft).where(Draft.status == Status.IN_REVIEW.value,
                            Draft.desired_at.is_not(None)).order_by(Draft.id)))


def is_held(session: Session, draft: Draft) -> bool:
    row = draft_policy_row(session, draft)
    return row is not None and row.held_at is not None


def due_holds(session: Session, now: datetime) -> list[Draft]:
    """Drafts still in review whose approval deadline has passed and that are not held yet."""
    return [d for d in _in_review(session)
            if not is_held(session, d)
            and (deadline := deadline_of(d, effective_policy(session, d))) is not None
            and deadline <= now]


def hold(session: Session, draft: Draft, now: datetime) -> bool:
    """Mark the draft held for missing its approval deadline (no commit); False when another
    process held it first (the update is conditional, so the secretariat is told once)."""
    row = ensure_policy_row(session, draft, now, "system")
    taken = session.execute(
        update(ApprovalPolicy).where(ApprovalPolicy.id == row.id, ApprovalPolicy.held_at.is_(None))
        .values(held_at=now).execution_options(synchronize_session="fetch")
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        return False
    deadline = deadline_of(draft, Policy.of(row))
    audit(session, action="approval_held", actor=SYSTEM, now=now, draft=draft,
          details={"deadline": deadline.isoformat() if deadline else None})
    return True


def release(session: Session, draft: Draft, now: datetime,
            actor: Actor) -> None:
    """Lift a deadline hold (a person decided the draft may go out after all)."""
    row = draft_policy_row(session, draft)
    if row is not None and row.held_at is not None:
        row.held_at = None
        audit(session, action="approval_released", actor=actor, now=now, draft=draft)


def reminder_at(draft: Draft, policy: Policy) -> datetime | None:
    """When undecided approvers are reminded (None: no deadline, or reminders off)."""
    deadline = deadline_of(draft, policy)
    if deadline is None or policy.reminder_hours <= 0:
        return None
    when = deadline - timedelta(hours=policy.reminder_hours)
    if policy.asked_at is not None and when <= policy.asked_at:
        return None  # a short window: the request itself is the reminder
    return when


def due_reminders(session: Session, now: datetime) -> list[ApprovalRequest]:
    """Undecided, already mailed requests for the current version whose reminder time is here."""
    found: list[ApprovalRequest] = []
    for draft in _in_review(session):
        policy = effective_policy(session, draft)
        when, deadline = reminder_at(draft, policy), deadline_of(draft, policy)
        if when is None or deadline is None or not when <= now < deadline:
            continue
        found.extend(session.scalars(
            select(ApprovalRequest).where(
                ApprovalRequest.draft_id == draft.id, ApprovalRequest.voided_at.is_(None),
                ApprovalRequest.content_hash == draft.content_hash,
                ApprovalRequest.sent_at.is_not(None), ApprovalRequest.reminded_at.is_(None),
                (ApprovalRequest.decision.is_(None))
                | (ApprovalRequest.decision == Decision.COMMENT.value),
            ).order_by(ApprovalRequest.id)))
    return found


def mark_reminded(session: Session, request: ApprovalRequest, now: datetime) -> bool:
    """Record the reminder (no commit); False when another process reminded first."""
    taken = session.execute(
        update(ApprovalRequest).where(ApprovalRequest.id == request.id,
                                      ApprovalRequest.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session="fetch")
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        return False
    audit(session, action="approval_reminded", actor=SYSTEM, now=now, draft=request.draft,
          details={"request": request.id, "approver": request.approver.name})
    return True
