"""A draft's history in words: who did what, and what it changed (from its audit events)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import AuditEvent, User
from publisher.i18n import local_datetime
from publisher.web import labels

PEOPLE = ("user", "api")  # audit actor types whose actor_id is a user account


def events_for(db: Session, draft_id: int) -> list[AuditEvent]:
    """The draft's audit events, newest first."""
    return list(db.scalars(select(AuditEvent).where(AuditEvent.draft_id == draft_id)
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())))


# The service's own parts as history names them (audit rows keep the internal name).
SYSTEM_ACTORS: dict[str, Any] = {
    "approvals": _l("the approval service"),
    "scheduler": _l("the publishing service"),
    "worker": _l("the publishing service"),
    "system": _l("system"),
    "demo": _l("the demo"),
}


def actor_namer(db: Session, events: list[AuditEvent]) -> Callable[[AuditEvent], str]:
    """A function naming who did each event: a user's current name, else the stored label."""
    ids = {e.actor_id for e in events if e.actor_type in PEOPLE and e.actor_id}
    names = {u.id: u.name for u in db.scalars(select(User).where(User.id.in_(ids)))} if ids \
        else {}

    def who(event: AuditEvent) -> str:
        if event.actor_type in PEOPLE and event.actor_id in names:
            return names[event.actor_id]
        if event.actor_type == "system":  # the service's own parts, in words
            return labels.label(SYSTEM_ACTORS, event.actor_label or "system")
        return event.actor_label or _("system")

    return who


def _moment_text(value: Any) -> str:
    if not value:
        return _("not set")
    try:
        return local_datetime(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def describe(event: AuditEvent) -> list[str]:
    """What an audit event changed, in words: fields, statuses, times, notes."""
    details = event.details or {}
    lines = []
    if details.get("fields"):
        names = ", ".join(labels.label(labels.FIELD_LABELS, f) for f in details["fields"])
        lines.append(_("Changed: %(fields)s", fields=names))
    if event.action == "rescheduled":
        lines.append(_("From %(before)s to %(after)s", before=_moment_text(details.get("from")),
                       after=_moment_text(details.get("to"))))
    elif details.get("from") and details.get("to"):
        words = {**labels.DELIVERY_STATUS_LABELS, **labels.STATUS_LABELS}
        if event.action.startswith("delivery") or details.get("delivery"):
            words = {**labels.STATUS_LABELS, **labels.DELIVERY_STATUS_LABELS}
        lines.append(f"{labels.label(words, details['from'])} → "
                     f"{labels.label(words, details['to'])}")
    if details.get("note"):
        lines.append(labels.label(labels.NOTE_LABELS, str(details["note"])))
    return lines
