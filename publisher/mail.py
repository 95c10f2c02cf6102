"""Mail over SMTP: multipart (plain text + HTML) messages from the outbox, sent after the commit.

`queue_mail` adds a row in the caller's transaction and arranges for it to be sent as soon as
that transaction commits (never before: a mail must not report something that was rolled back).
Whatever could not be sent then is retried by `send_pending(session, now)`, which the worker
calls regularly. Approval mails get their live link here, just before they leave
(drafts.mailbox.LINK_MARK, drafts.approval_links.rotate_nonce).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Any

from markupsafe import escape
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from drafts.approval_links import make_token, rotate_nonce
from drafts.approvals import ApprovalRequest, Decision
from drafts.mailbox import LINK_MARK, OutgoingMail, claim, due_ids, finish, queue
from drafts.text_rules import fold_single_line
from publisher.config import Settings, current_settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 15.0
Transport = Callable[[EmailMessage, str], None]  # (message, envelope recipient)
# One plain address: no display name, spaces, commas or quotes that could add recipients.
ADDRESS = re.compile(r"^[^@\s<>\"',;()\[\]\\]+@"
                     r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class MailSettings:
    """What sending needs: the SMTP server, the sender, and how to build approval links."""

    host: str
    port: int
    tls: str  # none | starttls | ssl
    username: str
    password: str
    mail_from: str
    base_url: str
    secret_key: str
    link_days: int

    @classmethod
    def of(cls, s: Settings) -> MailSettings:
        return cls(s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_username, s.smtp_password,
                   s.mail_from, s.base_url, s.secret_key, s.approval_link_days)

    def __repr__(self) -> str:  # never show the secrets
        return f"MailSettings({self.host}:{self.port}, tls={self.tls}, from={self.mail_from})"


def approval_url(base_url: str, token: str) -> str:
    """The public address of an approval link."""
    return f"{base_url.rstrip('/')}/a/{token}"


def smtp_transport(settings: MailSettings) -> Transport:
    """Send one message over SMTP as the settings say (TLS, login)."""

    def send(message: EmailMessage, recipient: str) -> None:
        client: smtplib.SMTP
        if settings.tls == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.username:
                client.login(settings.username, settings.password)
            client.send_message(message, to_addrs=[recipient])

    return send


def build_message(mail: OutgoingMail, mail_from: str, text: str, html: str) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second."""
    if not ADDRESS.match(mail.to_addr):
        raise ValueError(f"not a usable address: {mail.to_addr!r}")
    message = EmailMessage()
    # Headers are one line: a line break here (an old title, a name) would refuse the mail.
    message["Subject"] = fold_single_line(mail.subject)
    message["From"] = mail_from
    message["To"] = formataddr((fold_single_line(mail.to_name), mail.to_addr))
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Content-Language"] = mail.locale
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _with_link(session: Session, mail: OutgoingMail, settings: MailSettings,
               now: datetime) -> tuple[str, str] | None:
    """The bodies with a fresh live link in them; None when the request no longer needs one."""
    if mail.approval_request_id is None:
        return mail.text_body, mail.html_body
    request = session.get(ApprovalRequest, mail.approval_request_id)
    if request is None or not request.live:
        return None
    decided = request.decision not in (None, Decision.COMMENT.value)
    if mail.kind == "approval_reminder" and decided:
        return None
    sent_before = request.sent_at
    nonce = rotate_nonce(session, request, now, settings.link_days)
    request.sent_at = sent_before  # "sent" only once the server has accepted it (send_one)
    session.commit()  # the hash is stored before the link leaves
    link = approval_url(settings.base_url, make_token(settings.secret_key, request.id, nonce))
    return mail.text_body.replace(LINK_MARK, link), mail.html_body.replace(
        LINK_MARK, str(escape(link)))


def _permanent(exc: Exception) -> bool:
    """The server refused for good (5xx, every recipient refused): trying again will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | ValueError):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


# Called with (session, mail, now) when a mail has failed for good, so that nobody goes on
# believing it was sent; the caller passes it in (publisher.flows.notices.mail_failed).
OnFailed = Callable[[Session, OutgoingMail, datetime], None]


def send_one(session: Session, mail_id: int, settings: MailSettings, now: datetime,
             transport: Transport, *, due_only: bool = True,
             on_failed: OnFailed | None = None) -> str:
    """Claim and send one mail; return sent, cancelled, retry, failed or skipped."""
    if not claim(session, mail_id, now, due_only=due_only):
        return "skipped"
    mail = session.scalars(select(OutgoingMail).where(OutgoingMail.id == mail_id)
                           .execution_options(populate_existing=True)).one()
    bodies = _with_link(session, mail, settings, now)
    if bodies is None:
        finish(session, mail, now, "the approval request was voided or decided", cancelled=True)
        return "cancelled"
    try:
        transport(build_message(mail, settings.mail_from, *bodies), mail.to_addr)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        log.warning("mail %s (%s) not sent: %s", mail.id, mail.kind, exc)
        finish(session, mail, now, f"{type(exc).__name__}: {exc}", permanent=_permanent(exc))
        if mail.status != "failed":
            return "retry"
        if on_failed is not None:
            on_failed(session, mail, now)
        return "failed"
    if mail.approval_request_id is not None:
        accepted = session.get(ApprovalRequest, mail.approval_request_id)
        if accepted is not None:
            accepted.sent_at = now
    finish(session, mail, now)
    return "sent"


def send_pending(session: Session, now: datetime, settings: Settings | MailSettings | None = None,
                 *, ids: list[int] | None = None, transport: Transport | None = None,
                 on_failed: OnFailed | None = None) -> dict[str, int]:
    """Send what is due (or just `ids`); count the outcomes. Safe to run from several places."""
    if settings is None:

        settings = current_settings()
    mail_settings = settings if isinstance(settings, MailSettings) else MailSettings.of(settings)
    send = transport or smtp_transport(mail_settings)
    counts: dict[str, int] = {}
    for mail_id in ids if ids is not None else due_ids(session, now):
        outcome = send_one(session, mail_id, mail_settings, now, send, due_only=ids is None,
                           on_failed=on_failed)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _after_commit(session: Session) -> None:
    ids = session.info.pop("mail_after_commit", [])
    settings = session.info.pop("mail_settings", None)
    on_failed = session.info.pop("mail_on_failed", None)
    if not ids or settings is None:
        return
    try:
        with Session(session.get_bind()) as sender:
            send_pending(sender, datetime.now(UTC), settings, ids=ids, on_failed=on_failed)
    except Exception:  # the worker retries; the committed work must not look failed
        log.exception("sending mail right after the commit failed; the worker will retry")


def _after_rollback(session: Session, _previous: Any = None) -> None:
    session.info.pop("mail_after_commit", None)


def queue_mail(session: Session, settings: Settings | MailSettings, *,
               on_failed: OnFailed | None = None, **fields: Any) -> OutgoingMail:
    """Queue a mail (drafts.mailbox.queue's fields) to be sent right after the next commit;
    `on_failed` is told if it fails for good then."""
    mail = queue(session, **fields)
    if on_failed is not None:
        session.info["mail_on_failed"] = on_failed
    session.info.setdefault("mail_after_commit", []).append(mail.id)
    session.info["mail_settings"] = (settings if isinstance(settings, MailSettings)
                                     else MailSettings.of(settings))
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_rollback)
    return mail
