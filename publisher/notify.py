"""Mail to the secretariat about what the worker could not do: failed or held deliveries, and
channel tokens that are about to expire or have expired."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from drafts.models import ChannelAccount
from publisher.approval_mail import draft_url, queue_template, secretariat, settings
from publisher.deliveries import delivery_problem
from schedules.models import Delivery


def _lang() -> str:
    return str(get_locale() or "da")


def _delivery_mail(session: Any, delivery: Delivery, kind: str, now: datetime) -> None:
    draft, account = delivery.draft, delivery.account

    def subject() -> str:
        if kind == "failed":
            return _("Not published: “%(title)s” on %(account)s", title=draft.title,
                     account=account.name)
        return _("Waiting for you: “%(title)s” on %(account)s", title=draft.title,
                 account=account.name)

    def line() -> str:
        why = delivery_problem(delivery, _lang())
        return _("%(why)s Open the draft to see the details and send it again when the cause "
                 "is fixed.", why=why)

    for to in secretariat(session):
        queue_template(session, "notice", to, now, subject, draft, kind=f"delivery_{kind}",
                       line=line, comment=delivery.last_error_detail[:500], link=draft_url(draft),
                       comment_label=_l("Technical detail"))


def _token_mail(session: Any, account: ChannelAccount, kind: str, now: datetime) -> None:
    def subject() -> str:
        if kind == "token_expired":
            return _("Access expired: %(account)s", account=account.name)
        return _("Access expires soon: %(account)s", account=account.name)

    def line() -> str:
        return _("Posts cannot go out to %(account)s without a valid access key. Reconnect the "
                 "account under Administration → Channel accounts.", account=account.name)

    link = f"{settings().base_url.rstrip('/')}/admin/accounts"
    for to in secretariat(session):
        queue_template(session, "notice", to, now, subject, None, kind=kind, line=line,
                       comment="", link=link)


def notify_secretariat(kind: str, subject: Any) -> None:
    """Queue (and, after the commit, send) a mail about a delivery or an account."""
    now = datetime.now(UTC)
    with current_app.extensions["db_sessionmaker"]() as session:
        if isinstance(subject, Delivery):
            delivery = session.get(Delivery, subject.id)
            if delivery is not None and kind in ("failed", "held"):
                _delivery_mail(session, delivery, kind, now)
        elif isinstance(subject, ChannelAccount):
            account = session.get(ChannelAccount, subject.id)
            if account is not None and kind in ("token_expiring", "token_expired"):
                _token_mail(session, account, kind, now)
        session.commit()
