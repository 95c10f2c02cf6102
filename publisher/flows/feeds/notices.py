"""Mails about subscriptions: a webhook paused after failing for a day, and the confirmation a
digest's contact must give before any digest is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from drafts.mailbox import OutgoingMail
from publisher.config import Settings
from publisher.flows.feeds.models import Subscription
from publisher.mail import queue_mail


def render_mail(template: str, locale: str, subject: Callable[[], str],
                **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) of `mail/<template>` in `locale` (`subject()` is called there)."""
    with force_locale(locale):
        title = subject()
        context.update(locale=locale, subject=title, org=current_app.extensions["organisation"])
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    return title, text, html


def _queue(session: Session, settings: Settings, sub: Subscription, template: str, now: datetime,
           subject: Callable[[], str], **context: Any) -> OutgoingMail:
    title, text, html = render_mail(template, sub.locale, subject, sub=sub, **context)
    return queue_mail(session, settings, kind=template, to_addr=sub.contact_email,
                      to_name=sub.contact_name, subject=title, text=text, html=html, now=now,
                      locale=sub.locale)


def webhook_paused(session: Session, settings: Settings, sub: Subscription,
                   now: datetime) -> OutgoingMail:
    """Tell the owner their webhook failed for a day and is paused."""
    return _queue(session, settings, sub, "feeds_webhook_paused", now,
                  lambda: _("Your webhook “%(name)s” is paused", name=sub.name))


def confirm_digest(session: Session, settings: Settings, sub: Subscription, now: datetime,
                   link: str) -> OutgoingMail:
    """Ask the contact to confirm a digest before the first one is sent."""
    return _queue(session, settings, sub, "feeds_confirm_digest", now,
                  lambda: _("Confirm your digest “%(name)s”", name=sub.name), link=link)

