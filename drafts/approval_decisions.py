"""Approvers' decisions: recorded one at a time per draft, and applied to the draft per policy.

`decide` locks the draft row before it reads anything, so two approvers deciding at once on an
all-of policy are serialised: the second sees the first's approval and the draft is approved
exactly once (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approvals import (
    ApprovalRequest,
    Decision,
    effective_policy,
    policy_failed,
    policy_satisfied,
)
from drafts.models import Draft
from drafts.states import Status, audit, transition

MAX_COMMENT = 2000

# decision so far → decisions the approver may still make on the same request
ALLOWED: dict[str | None, frozenset[Decision]] = {
    None: frozenset({Decision.APPROVE, Decision.REJECT, Decision.COMMENT}),
    Decision.COMMENT: frozenset({Decision.APPROVE, Decision.REJECT, Decision.COMMENT}),
    Decision.APPROVE: frozenset({Decision.APPROVE, Decision.WITHDRAWN, Decision.COMMENT}),
    Decision.REJECT: frozenset({Decision.COMMENT}),
    Decision.WITHDRAWN: frozenset({Decision.COMMENT}),
}


class DecisionRefused(Exception):
    """The decision cannot be recorded: `code` says why (voided, published, already_decided …)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Outcome:
    """What a decision did: recorded or not, and what it meant for the draft."""

    request: ApprovalRequest
    decision: Decision
    changed: bool = True
    approved_now: bool = False  # the policy is now satisfied and the draft was approved
    rejected_now: bool = False  # the policy can no longer be satisfied: the draft was rejected
    unapproved_now: bool = False  # a withdrawal took an approved/scheduled draft's approval away


def lock_draft(session: Session, draft_id: int) -> Draft:
    """The draft, re-read and locked (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
    already serialises writers), so decisions on one draft happen one after another."""
    return session.scalars(
        select(Draft).where(Draft.id == draft_id).with_for_update()
        .execution_options(populate_existing=True)).one()


def _check(request: ApprovalRequest, draft: Draft, decision: Decision, now: datetime) -> bool:
    """Refuse what may not be decided; return False for a repeat that changes nothing."""
    if not request.live:
        raise DecisionRefused("voided")
    if request.content_hash != draft.content_hash:
        raise DecisionRefused("changed")
    if draft.status in (Status.PUBLISHED, Status.CANCELLED):
        raise DecisionRefused(draft.status)
    if request.expires_at <= now:
        raise DecisionRefused("expired")
    if decision not in ALLOWED[request.decision]:
        raise DecisionRefused("already_decided")
    return not (decision == Decision.APPROVE and request.decision == Decision.APPROVE)


def decide(session: Session, request: ApprovalRequest, decision: Decision | str, comment: str,
           now: datetime) -> Outcome:
    """Record an approver's decision and apply it to the draft (approve/reject per policy)."""
    decision = Decision(decision)
    comment = (comment or "").strip()[:MAX_COMMENT]
    if decision == Decision.COMMENT and not comment:
        raise DecisionRefused("comment_required")
    draft = lock_draft(session, request.draft_id)
    request = session.scalars(select(ApprovalRequest).where(ApprovalRequest.id == request.id)
                              .execution_options(populate_existing=True)).one()
    outcome = Outcome(request, decision)
    if not _check(request, draft, decision, now):
        outcome.changed = False
        return outcome
    policy = effective_policy(session, draft)
    was_satisfied = policy_satisfied(session, draft, policy)
    if decision != Decision.COMMENT or request.decision is None:
        request.decision = decision.value
    request.decided_at = now
    if comment:
        request.comment = comment
    session.flush()
    audit(session, action=f"approval_{decision.value}", actor=request.as_actor(), now=now,
          draft=draft, details={"request": request.id, "comment": comment} if comment
          else {"request": request.id})
    satisfied = policy_satisfied(session, draft, policy)
    if satisfied and draft.status == Status.IN_REVIEW:
        transition(session, draft, "approve", actor=request.as_actor(), now=now)
        outcome.approved_now = True
    elif decision == Decision.REJECT and draft.status == Status.IN_REVIEW and policy_failed(
            session, draft, policy):
        transition(session, draft, "reject", actor=request.as_actor(), now=now, note=comment)
        outcome.rejected_now = True
    elif decision == Decision.WITHDRAWN and was_satisfied and not satisfied and draft.status in (
            Status.APPROVED, Status.SCHEDULED):
        outcome.unapproved_now = True
    return outcome
