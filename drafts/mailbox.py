"""Outgoing mail as rows: queued in the transaction of what it reports, sent after the commit.

A row is claimed with a conditional UPDATE (checked by row count, the same on SQLite and
PostgreSQL) before it is sent, so the web process that queued it and a worker retrying old rows
never both send it. A failed send is retried with backoff, then given up as `failed`.

Approval mails hold no live link: their bodies carry `LINK_MARK`, and the sender puts a link with
a brand-new nonce in its place just before sending (drafts.approval_links.rotate_nonce).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from drafts.models import Base, utcnow

LINK_MARK = "__approval_link__"
MAX_ATTEMPTS = 8


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS
    CANCELLED = "cancelled"  # no longer true (e.g. its approval request was voided)


class OutgoingMail(Base):
    """One email to one recipient, HTML and plain text."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    to_addr: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(160), default="")
    locale: Mapped[str] = mapped_column(String(8), default="da")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("draft.id", ondelete="CASCADE"), default=None, index=True)
    approval_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_request.id", ondelete="CASCADE"), default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),)


def queue(
    session: Session, *, kind: str, to_addr: str, to_name: str, subject: str, text: str,
    html: str, now: datetime, locale: str = "da", draft_id: int | None = None,
    approval_request_id: int | None = None,
) -> OutgoingMail:
    """Add a mail to the outbox in the caller's transaction (sent only after it commits)."""
    mail = OutgoingMail(
        kind=kind, to_addr=to_addr, to_name=to_name[:160], subject=subject[:300],
        text_body=text, html_body=html, locale=locale, draft_id=draft_id,
        approval_request_id=approval_request_id, created_at=now, next_attempt_at=now,
    )
    session.add(mail)
    session.flush()
    return mail


def due_ids(session: Session, now: datetime, limit: int = 50) -> list[int]:
    """Mails ready to send: pending and due, or claimed by a sender whose lease ran out."""
    return list(session.scalars(
        select(OutgoingMail.id).where(or_(
            (OutgoingMail.status == MailStatus.PENDING.value)
            & (OutgoingMail.next_attempt_at <= now),
            (OutgoingMail.status == MailStatus.SENDING.value) & (OutgoingMail.lease_until < now),
        )).order_by(OutgoingMail.id).limit(limit)))


def claim(session: Session, mail_id: int, now: datetime, lease_seconds: float = 300,
          *, due_only: bool = True) -> bool:
    """Take one mail for sending; False when someone else has it or it is not due (commits).

    `due_only=False` is for a mail just queued: it goes now, whatever clock queued it."""
    pending = OutgoingMail.status == MailStatus.PENDING.value
    if due_only:
        pending = pending & (OutgoingMail.next_attempt_at <= now)
    taken = session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, or_(
            pending,
            (OutgoingMail.status == MailStatus.SENDING.value) & (OutgoingMail.lease_until < now)))
        .values(status=MailStatus.SENDING.value, attempts=OutgoingMail.attempts + 1,
                lease_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return bool(taken)


def finish(session: Session, mail: OutgoingMail, now: datetime, error: str = "",
           cancelled: bool = False, permanent: bool = False) -> None:
    """Record how a send ended: sent, cancelled, retry later with backoff, or failed."""
    mail.lease_until = None
    if cancelled:
        mail.status = MailStatus.CANCELLED.value
        mail.last_error = error
    elif not error:
        mail.status = MailStatus.SENT.value
        mail.sent_at = now
        mail.last_error = ""
    elif permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.status = MailStatus.FAILED.value
        mail.last_error = error[:2000]
    else:
        mail.status = MailStatus.PENDING.value
        mail.last_error = error[:2000]
        mail.next_attempt_at = now + timedelta(seconds=min(6 * 3600, 60 * 2 ** mail.attempts))
    session.commit()
