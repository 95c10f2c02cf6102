"""An approver who leaves (deactivated, moved to another municipality) or whose address changed
must not decide with a link already mailed: their open requests are voided and someone is asked
again.

    active → inactive, or another municipality:  the approver's deputy is asked; with no deputy,
                                                  the secretariat is told to choose someone
    a new email address (still active, same place): the approver is asked again at the new address

Open means live and not yet answered (a comment is not an answer). Approvals already given stay:
they were given by the right person at the time. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest, Decision
from drafts.models import Approver
from drafts.states import Actor, Status
from publisher.flows import approval as approval_flow
from publisher.flows import notices as approval_mail

VOIDING_FIELDS = frozenset({"active", "email", "municipality"})


def open_requests(session: Session, approver: Approver) -> list[ApprovalRequest]:
    """The approver's live requests still waiting for an answer, oldest first."""
    rows = session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.approver_id == approver.id, ApprovalRequest.voided_at.is_(None),
    ).order_by(ApprovalRequest.id))
    return [r for r in rows if r.decision in (None, Decision.COMMENT.value)]


def stand_in(session: Session, approver: Approver) -> Approver | None:
    """The first active deputy of `approver` who has an address."""
    return session.scalar(select(Approver).where(
        Approver.deputy_of_id == approver.id, Approver.active.is_(True), Approver.email != "",
    ).order_by(Approver.id).limit(1))


def on_approver_changed(session: Session, approver: Approver, changed: list[str],
                        now: datetime, actor: Actor) -> list[ApprovalRequest]:
    """Void what the change affects and ask again; return the new requests."""
    if not VOIDING_FIELDS & set(changed):
        return []
    left = not approver.active or "municipality" in changed
    replacement = stand_in(session, approver) if left else approver
    created = []
    for request in open_requests(session, approver):
        draft = request.draft
        if draft.status != Status.IN_REVIEW or request.content_hash != draft.content_hash:
            request.voided_at, request.void_reason = now, "approver_changed"
            continue
        if replacement is not None and replacement.email:
            created.append(approval_flow.change_approver(
                session, request, replacement, now, actor, requested_by=request.requested_by))
            continue
        request.voided_at, request.void_reason = now, "approver_changed"
        approval_mail.notify_secretariat(session, draft, "approver_gone", now,
                                         who=approver.name)
    session.flush()
    return created
