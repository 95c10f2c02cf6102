"""A mail that failed for good is never silent: it is audited on its draft, the secretariat is
told (unless the failed mail was itself such a notice), and the approvals page and the API show
the request's mail as failed instead of sent."""

from __future__ import annotations

from datetime import datetime

from flask import has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest
from drafts.mailbox import OutgoingMail
from drafts.models import Draft
from drafts.states import audit
from publisher.flows import notices as approval_mail

SYSTEM = ("system", None, "mail")
NOTICE_KIND = "notice_mail_failed"


def mail_failed(session: Session, mail: OutgoingMail, now: datetime) -> None:
    """Record that `mail` will never arrive and tell the secretariat (commits)."""
    draft = session.get(Draft, mail.draft_id) if mail.draft_id is not None else None
    audit(session, action="mail_failed", actor=SYSTEM, now=now, draft=draft,
          details={"mail": mail.id, "kind": mail.kind, "to": mail.to_name or mail.to_addr,
                   "error": mail.last_error[:300]})
    if draft is not None and mail.kind != NOTICE_KIND and has_app_context():
        approval_mail.notify_secretariat(session, draft, "mail_failed", now,
                                         who=mail.to_name or mail.to_addr)
    session.commit()


def request_mail_status(session: Session, request: ApprovalRequest) -> str | None:
    """How the newest mail to this request's approver stands: pending, sending, sent, failed,
    cancelled; None when no mail was queued."""
    status: str | None = session.scalar(
        select(OutgoingMail.status).where(OutgoingMail.approval_request_id == request.id)
        .order_by(OutgoingMail.id.desc()).limit(1))
    return status
