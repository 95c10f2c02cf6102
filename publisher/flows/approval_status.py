"""Where a draft's approval stands: its policy, who was asked, opened, decided — for the
secretariat's page and the JSON API alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from drafts.approval_timing import reminder_at
from drafts.approvals import (
    ApprovalRequest,
    Decision,
    Policy,
    PolicyProblem,
    deadline_of,
    draft_policy_row,
    effective_policy,
    policy_satisfied,
    resolve_approvers,
)
from drafts.models import Approver, Draft
from publisher.flows.security.mail_failures import request_mail_status


def mail_status_of(request: ApprovalRequest) -> str | None:
    session = object_session(request)
    return request_mail_status(session, request) if session is not None else None


@dataclass
class ApprovalStatus:
    """Everything the secretariat wants to know about one draft's approval."""

    draft: Draft
    policy: Policy
    own_policy: bool  # the draft has its own policy (else: its initiative's defaults)
    listed: list[Approver]  # the approvers a "list" policy names
    deadline: datetime | None
    reminder_at: datetime | None
    held_at: datetime | None
    satisfied: bool
    current: list[ApprovalRequest]  # live, for this version
    older: list[ApprovalRequest]  # voided or for an earlier version, newest first
    problems: list[PolicyProblem]  # what stops sending for approval right now

    def mail_state(self, request: ApprovalRequest) -> str | None:
        """How the newest mail for `request` stands (failed shows as failed, not as sent)."""
        return mail_status_of(request)

    @property
    def approved_count(self) -> int:
        return sum(1 for r in self.current if r.decision == Decision.APPROVE)


def status_of(session: Session, draft: Draft) -> ApprovalStatus:
    """Read (never change) where the draft's approval stands."""
    row = draft_policy_row(session, draft)
    policy = effective_policy(session, draft)
    requests = list(session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.draft_id == draft.id).order_by(ApprovalRequest.id.desc())))
    current = [r for r in requests if r.live and r.content_hash == draft.content_hash]
    current.reverse()
    listed = [a for a in (session.get(Approver, i) for i in policy.approver_ids) if a is not None]
    return ApprovalStatus(
        draft=draft, policy=policy, own_policy=row is not None, listed=listed,
        deadline=deadline_of(draft, policy), reminder_at=reminder_at(draft, policy),
        held_at=row.held_at if row is not None else None,
        satisfied=policy_satisfied(session, draft, policy), current=current,
        older=[r for r in requests if r not in current],
        problems=resolve_approvers(session, draft, policy)[1],
    )


def request_dict(request: ApprovalRequest) -> dict[str, Any]:
    approver = request.approver
    return {
        "id": request.id,
        "approver": {"id": approver.id, "name": approver.name, "role": approver.role,
                     "municipality": approver.municipality.slug if approver.municipality
                     else None},
        "version": request.version,
        "content_hash": request.content_hash,
        "requested_by": request.requested_by,
        "asked_at": request.created_at,
        "sent_at": request.sent_at,
        "mail_status": mail_status_of(request),
        "expires_at": request.expires_at,
        "opened_at": request.opened_at,
        "reminded_at": request.reminded_at,
        "decision": request.decision,
        "decided_at": request.decided_at,
        "comment": request.comment,
        "voided_at": request.voided_at,
        "void_reason": request.void_reason or None,
    }


def status_dict(status: ApprovalStatus, lang: str) -> dict[str, Any]:
    """The status as plain data (the API's answer)."""
    p = status.policy
    return {
        "draft_id": status.draft.id,
        "status": status.draft.status,
        "version": status.draft.version,
        "policy": {"mode": p.mode, "rule": p.rule, "approver_ids": list(p.approver_ids),
                   "deadline_hours": p.deadline_hours, "reminder_hours": p.reminder_hours,
                   "from_initiative_defaults": not status.own_policy},
        "deadline": status.deadline,
        "held_at": status.held_at,
        "satisfied": status.satisfied,
        "requests": [request_dict(r) for r in status.current],
        "earlier_requests": [request_dict(r) for r in status.older],
        "problems": [{"code": x.code, "message": x.message(lang)} for x in status.problems],
    }
