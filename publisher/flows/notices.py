"""Who is told what: the mails about drafts and deliveries, rendered in the recipient's language.

Asking and reminding an approver (the live link is put in when the mail is sent), telling the
author about a rejection, a comment or a withdrawn approval, telling the secretariat about holds
and problems, and the worker's notices about failed or held deliveries and channel tokens that
are about to expire or have expired. Mails are queued in the caller's transaction. Needs an app
context (templates, translations, settings).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.registry import REGISTRY
from drafts.approvals import ApprovalRequest, deadline_of, effective_policy
from drafts.content import channel_text, render_markdown
from drafts.mailbox import LINK_MARK, OutgoingMail
from drafts.models import CHANNEL_NAMES, ChannelAccount, Draft, Role, User
from drafts.states import audit
from publisher.config import current_organisation, current_settings
from publisher.flows.delivery_views import delivery_problem
from publisher.mail import queue_mail
from schedules.models import Delivery


def nl2br(text: str) -> Markup:
    """Escaped text with its line breaks kept (mail clients ignore pre-wrap)."""
    return Markup("<br>\n").join(escape(line) for line in (text or "").split("\n"))


def channel_views(draft: Draft) -> list[dict[str, Any]]:
    """What each chosen channel will get, in the usual channel order."""
    views = []
    for channel in [c for c in CHANNEL_NAMES if c in (draft.channels or [])]:
        rich = REGISTRY[channel].rich  # it publishes the formatted body, as build_post does
        views.append({
            "channel": channel, "text": channel_text(draft, channel), "rich": rich,
            "html": Markup(render_markdown(draft.body)) if rich else None,  # sanitised
        })
    return views


def image_views(draft: Draft) -> list[dict[str, Any]]:
    base = current_settings().base_url.rstrip("/")
    return [{"url": f"{base}/media/{m.stored_name}", "alt": m.alt_text, "width": m.width,
             "height": m.height} for m in draft.media]


def draft_url(draft: Draft) -> str:
    return f"{current_settings().base_url.rstrip('/')}/drafts/{draft.id}"


def render(template: str, locale: str, subject: Callable[[], str],
           **context: Any) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a mail template in `locale`."""
    with force_locale(locale):
        title = subject()
        context.update(locale=locale, subject=title, org=current_organisation(), nl2br=nl2br)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    return title, text, html


def queue_template(session: Session, template: str, to: tuple[str, str, str], now: datetime,
          subject: Callable[[], str], draft: Draft | None, request_id: int | None = None,
          kind: str = "", **context: Any) -> OutgoingMail:
    """Render `template` for one recipient (address, name, locale) and queue it."""
    address, name, locale = to
    title, text, html = render(template, locale, subject, draft=draft, **context)
    return queue_mail(session, current_settings(), on_failed=mail_failed,
                      kind=kind or template, to_addr=address,
                      to_name=name, subject=title, text=text, html=html, now=now, locale=locale,
                      draft_id=draft.id if draft else None, approval_request_id=request_id)


def queue_request(session: Session, request: ApprovalRequest, now: datetime,
                  *, reminder: bool = False) -> OutgoingMail:
    """Ask (or remind) an approver; the mail gets its live link when it is sent."""
    draft, approver = request.draft, request.approver
    deadline = deadline_of(draft, effective_policy(session, draft))

    def subject() -> str:
        if reminder:
            return _("Reminder: please approve “%(title)s”", title=draft.title)
        return _("Please approve: “%(title)s”", title=draft.title)

    return queue_template(
        session, "approval_request", (approver.email, approver.name, approver.locale), now,
        subject, draft, request.id, kind="approval_reminder" if reminder else "approval_request",
        request=request, approver=approver, reminder=reminder, deadline=deadline,
        channels=channel_views(draft), images=image_views(draft), link=LINK_MARK,
        link_days=current_settings().approval_link_days,
    )


def secretariat(session: Session) -> list[tuple[str, str, str]]:
    """Who the secretariat is by mail: the organisation's address, else the admins."""
    org, locale = current_organisation(), current_settings().default_locale
    if org.secretariat_email:
        return [(org.secretariat_email, org.short_name, locale)]
    admins = session.scalars(select(User).where(User.role == Role.ADMIN.value,
                                                User.active.is_(True), User.email != ""))
    return [(u.email, u.name, u.locale) for u in admins]


NOTICES: dict[str, tuple[Callable[..., str], Callable[..., str]]] = {
    # kind → (subject, what happened); both take the draft's title and the notice's words
    "rejected": (lambda **k: _("Rejected: “%(title)s”", **k),
                 lambda **k: _("%(who)s rejected the draft.", **k)),
    "commented": (lambda **k: _("Comment on “%(title)s”", **k),
                  lambda **k: _("%(who)s commented on the draft.", **k)),
    "withdrawn": (lambda **k: _("Approval withdrawn: “%(title)s”", **k),
                  lambda **k: _("%(who)s withdrew their approval. The draft is back in review "
                                "and will not be published until the approval policy is met "
                                "again.", **k)),
    "held": (lambda **k: _("Not approved in time: “%(title)s”", **k),
             lambda **k: _("The approval deadline has passed and the draft is not approved. It "
                           "is held and will not be published by itself. Remind the approvers, "
                           "change them, or choose a later time.", **k)),
    "approved_late": (lambda **k: _("Approved after the deadline: “%(title)s”", **k),
                      lambda **k: _("The draft was approved after its deadline. It is held: "
                                    "check the time and release it on the approvals page.", **k)),
    "not_scheduled": (lambda **k: _("Approved but not scheduled: “%(title)s”", **k),
                      lambda **k: _("The draft is approved, but it could not be scheduled: "
                                    "%(who)s", **k)),
    "not_asked": (lambda **k: _("Approval not requested: “%(title)s”", **k),
                  lambda **k: _("The draft changed and needs approval again, but nobody could "
                                "be asked: %(who)s", **k)),
    "approver_gone": (lambda **k: _("Choose another approver: “%(title)s”", **k),
                      lambda **k: _("%(who)s can no longer approve (deactivated or moved) and "
                                    "has no deputy. Their link no longer works. Choose another "
                                    "approver on the approvals page.", **k)),
    "mail_failed": (lambda **k: _("A mail could not be delivered: “%(title)s”", **k),
                    lambda **k: _("The mail to %(who)s could not be delivered, and will not be "
                                  "tried again. Check the address, then send it again from the "
                                  "approvals page.", **k)),
}


def queue_notice(session: Session, draft: Draft, kind: str, to: tuple[str, str, str],
                 now: datetime, *, who: str = "", comment: str = "") -> OutgoingMail:
    """A short notice about a draft: what happened, an optional comment, a link to the draft."""
    subject_of, line_of = NOTICES[kind]
    return queue_template(
        session, "notice", to, now, lambda: subject_of(title=draft.title), draft,
        kind=f"notice_{kind}", line=lambda: line_of(who=who, title=draft.title),
        comment=comment, link=draft_url(draft),
    )


def notify_author(session: Session, draft: Draft, kind: str, now: datetime, *, who: str,
                  comment: str = "") -> OutgoingMail | None:
    """Tell the draft's author (if they have an address)."""
    author = draft.author
    if author is None or not author.email or not author.active:
        return None
    return queue_notice(session, draft, kind, (author.email, author.name, author.locale), now,
                        who=who, comment=comment)


def notify_secretariat(session: Session, draft: Draft, kind: str, now: datetime, *,
                       who: str = "", comment: str = "") -> list[OutgoingMail]:
    return [queue_notice(session, draft, kind, to, now, who=who, comment=comment)
            for to in secretariat(session)]


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


def _configuration_mail(session: Any, delivery: Delivery, now: datetime) -> None:
    """Once per account and outage: the account's setup stops every delivery to it."""
    from publisher.flows.firstday import paused

    account = delivery.account
    if paused.already_told(session, account):
        return

    def subject() -> str:
        return _("Publishing to %(account)s waits for a fix", account=account.name)

    def line() -> str:
        return _("%(why)s Until then nothing goes out to %(account)s; what is waiting goes out "
                 "once the account is saved with the fix.",
                 why=delivery_problem(delivery, _lang()), account=account.name)

    link = f"{current_settings().base_url.rstrip('/')}/admin/accounts/{account.id}"
    for to in secretariat(session):
        queue_template(session, "notice", to, now, subject, None, kind=paused.notice_kind(account),
                       line=line, comment=delivery.last_error_detail[:500], link=link,
                       comment_label=_l("Technical detail"))


def _token_mail(session: Any, account: ChannelAccount, kind: str, now: datetime) -> None:
    def subject() -> str:
        if kind == "token_expired":
            return _("Access expired: %(account)s", account=account.name)
        return _("Access expires soon: %(account)s", account=account.name)

    def line() -> str:
        return _("Posts cannot go out to %(account)s without a valid access key. Reconnect the "
                 "account under Administration → Channel accounts.", account=account.name)

    link = f"{current_settings().base_url.rstrip('/')}/admin/accounts"
    for to in secretariat(session):
        queue_template(session, "notice", to, now, subject, None, kind=kind, line=line,
                       comment="", link=link)


def _is_configuration(delivery: Delivery) -> bool:
    from publisher.flows.firstday import paused

    return paused.is_configuration(delivery)


def notify_worker_problem(kind: str, subject: Any) -> None:
    """Queue (and, after the commit, send) a mail about a delivery or an account."""
    now = datetime.now(UTC)
    with current_app.extensions["db_sessionmaker"]() as session:
        if isinstance(subject, Delivery):
            delivery = session.get(Delivery, subject.id)
            if delivery is not None and kind == "failed" and _is_configuration(delivery):
                _configuration_mail(session, delivery, now)
            elif delivery is not None and kind in ("failed", "held"):
                _delivery_mail(session, delivery, kind, now)
        elif isinstance(subject, ChannelAccount):
            account = session.get(ChannelAccount, subject.id)
            if account is not None and kind in ("token_expiring", "token_expired"):
                _token_mail(session, account, kind, now)
        session.commit()


SYSTEM_MAIL = ("system", None, "mail")


def mail_failed(session: Session, mail: OutgoingMail, now: datetime) -> None:
    """Record that `mail` will never arrive and tell the secretariat (commits). The mail sender
    calls it (publisher.mail's on_failed); a failed notice about a failure is not re-told."""
    from publisher.flows.security.mail_failures import NOTICE_KIND

    draft = session.get(Draft, mail.draft_id) if mail.draft_id is not None else None
    audit(session, action="mail_failed", actor=SYSTEM_MAIL, now=now, draft=draft,
          details={"mail": mail.id, "kind": mail.kind, "to": mail.to_name or mail.to_addr,
                   "error": mail.last_error[:300]})
    if draft is not None and mail.kind != NOTICE_KIND:
        notify_secretariat(session, draft, "mail_failed", now, who=mail.to_name or mail.to_addr)
    session.commit()
