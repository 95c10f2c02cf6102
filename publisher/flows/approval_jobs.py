"""The approval jobs a worker runs every little while: deadline holds, reminders, share kits for
newly published drafts, and mail that could not be sent at once.

Each job commits on its own, so one failing does not stop the others. Every step is claimed with a
conditional update or a row lock, so several workers may run them at once without telling anyone
twice. `run_jobs(app)` is the entry point (it needs the app for templates and translations).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approval_timing import due_holds, due_reminders, hold, mark_reminded
from drafts.models import Draft, utcnow
from drafts.states import Status
from publisher.config import current_settings
from publisher.flows import notices
from publisher.flows.inbound.suggestions import erase_old_contacts
from publisher.flows.inbound.throttle import forget_old_submissions
from publisher.flows.share_kit import already_sent, share_kit
from publisher.mail import send_pending

log = logging.getLogger(__name__)
SHARE_KIT_WINDOW = timedelta(days=3)  # older publications never get a kit (e.g. after an upgrade)


def hold_overdue(session: Session, now: datetime) -> int:
    """Hold drafts still in review at their approval deadline and tell the secretariat."""
    held = [d for d in due_holds(session, now) if hold(session, d, now)]
    for draft in held:
        notices.notify_secretariat(session, draft, "held", now)
    session.commit()
    return len(held)


def remind(session: Session, now: datetime) -> int:
    """Remind approvers who have not answered, once, before the deadline."""
    reminded = [r for r in due_reminders(session, now) if mark_reminded(session, r, now)]
    for request in reminded:
        notices.queue_request(session, request, now, reminder=True)
    session.commit()
    return len(reminded)


def send_share_kits(session: Session, now: datetime) -> int:
    """Send the share kit for drafts published recently that have not had one."""
    drafts = session.scalars(select(Draft).where(
        Draft.status == Status.PUBLISHED.value, Draft.updated_at >= now - SHARE_KIT_WINDOW))
    sent = 0
    for draft in drafts:
        if not already_sent(session, draft):
            share_kit(session, draft, now)
            sent += 1
    session.commit()
    return sent


def erase_suggestion_contacts(session: Session, now: datetime) -> int:
    """Blank the contact details of suggestions decided longer ago than the setting."""
    return erase_old_contacts(session, current_settings(), now)


def prune_form_counts(session: Session, now: datetime) -> int:
    """Forget public-form submission counts older than the rate-limit window."""
    settings = current_settings()
    pruned = forget_old_submissions(session, settings, now)
    session.commit()
    return pruned


def run_jobs(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Run every approval job once; return what each did."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    with app.app_context():
        for name, job in (("held", hold_overdue), ("reminded", remind),
                          ("share_kits", send_share_kits),
                          ("suggestion_contacts_erased", erase_suggestion_contacts),
                          ("form_counts_pruned", prune_form_counts)):
            with app.extensions["db_sessionmaker"]() as session:
                try:
                    counts[name] = job(session, now)
                except Exception:
                    log.exception("approval job %s failed; it runs again next time", name)
                    session.rollback()
        with app.extensions["db_sessionmaker"]() as session:
            for outcome, n in send_pending(session, now, on_failed=notices.mail_failed).items():
                counts[f"mail_{outcome}"] = n
    return counts
