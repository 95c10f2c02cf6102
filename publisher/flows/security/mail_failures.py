"""A mail that failed for good is never silent: it is audited on its draft, the secretariat is
told (unless the failed mail was itself such a notice), and the approvals page and the API show
the request's mail as failed instead of sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest
from drafts.mailbox import OutgoingMail

NOTICE_KIND = "notice_mail_failed"  # publisher.flows.notices.mail_failed sends these


def request_mail_status(session: Session, request: ApprovalRequest) -> str | None:
    """How the newest mail to this request's approver stands: pending, sending, sent, failed,
    cancelled; None when no mail was queued."""
    status: str | None = session.scalar(
        select(OutgoingMail.status).where(OutgoingMail.approval_request_id == request.id)
        .order_by(OutgoingMail.id.desc()).limit(1))
    return status
