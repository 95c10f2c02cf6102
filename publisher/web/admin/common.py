"""What the admin screens share: the blueprint, its admin-only guard, form reading and audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from drafts.models import Municipality, Role
from drafts.states import audit
from drafts.text_rules import bad_characters, fold_single_line, visible
from publisher.auth import actor
from publisher.config import current_settings

bp = Blueprint("admin", __name__)

# Deliberately simple: one @, no spaces or quotes, and a domain with a dot.
EMAIL_RE = re.compile(
    r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


@bp.before_request
def _admins_only() -> None:
    """Refuse everyone but admins on every admin route, even one that forgot its decorator."""
    user = g.get("user")
    if user is not None and user.role != Role.ADMIN.value:
        abort(403)


def utcnow() -> datetime:
    return datetime.now(UTC)


def record(db: Session, action: str, **details: Any) -> None:
    """Audit an administrative change by the current user (never pass secrets here)."""
    audit(db, action=action, actor=actor(), now=utcnow(), details=details)


def locales() -> list[str]:
    return list(current_settings().locale_list)


def locale_label(code: str) -> str:
    return {"da": "Dansk", "en": "English"}.get(code, code)


def wanted_active() -> bool:
    """The state an activate/deactivate button asks for; anything else is a bad request."""
    raw = request.form.get("active")
    if raw not in ("0", "1"):
        abort(400)
    return raw == "1"


def switch_active(db: Any, row: Any, kind: str, **details: Any) -> bool:
    """Set `row.active` as the button asks, audit "<kind>.(re|de)activated", and commit."""
    active = wanted_active()
    if row.active != active:
        row.active = active
        record(db, f"{kind}.reactivated" if active else f"{kind}.deactivated", **details)
        db.commit()
    return active


def show(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render an admin template; a form with errors answers 422."""
    if context.get("errors"):
        status = 422
    return render_template(template, **context), status


class FormReader:
    """Read submitted values one field at a time and collect what is wrong with them."""

    def __init__(self, data: MultiDict[str, str]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, max_len: int, missing: str | None = None) -> str:
        """A trimmed single-line text; `missing` is the message when it is required and empty."""
        value = fold_single_line(self.data.get(name) or "")
        if bad_characters(value):
            self.fail(name, _("Remove the control characters (such as line breaks or "
                              "direction marks) from the text."))
        elif not visible(value) and missing:
            self.fail(name, missing)
        elif len(value) > max_len:
            self.fail(name, _("Use at most %(n)d characters.", n=max_len))
        return value

    def email(self, name: str, required: bool) -> str:
        value = (self.data.get(name) or "").strip()
        if not value:
            if required:
                self.fail(name, _("Enter an email address."))
            return ""
        if len(value) > 254 or not EMAIL_RE.match(value):
            self.fail(name, _("Enter an email address like name@example.org."))
        return value

    def choice(self, name: str, allowed: list[str] | tuple[str, ...], message: str) -> str:
        value = (self.data.get(name) or "").strip()
        if value not in allowed:
            self.fail(name, message)
        return value

    def flag(self, name: str) -> bool:
        return self.data.get(name) in ("1", "on", "true", "yes")

    def ident(self, name: str) -> int | None:
        """An optional row id from a select; a value that is not a number is an error."""
        raw = (self.data.get(name) or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or len(raw) > 12:
            self.fail(name, _("Choose one of the options in the list."))
            return None
        return int(raw)

    def municipality(self, db: Session, name: str, required: bool) -> Municipality | None:
        """An optional (or required) municipality chosen by id; an unknown id is an error."""
        muni_id = self.ident(name)
        if muni_id is None:
            if required and name not in self.errors:
                self.fail(name, _("Choose a municipality."))
            return None
        muni = db.get(Municipality, muni_id)
        if muni is None:
            self.fail(name, _("That municipality does not exist. Choose one from the list."))
        return muni


def municipality_options(db: Session, current: Municipality | None = None) -> list[Any]:
    """(id, name) choices: active municipalities, plus the current one if deactivated."""
    rows = list(db.scalars(select(Municipality).order_by(Municipality.name)))
    return [
        (m.id, m.name if m.active else _("%(name)s (inactive)", name=m.name))
        for m in rows
        if m.active or (current is not None and m.id == current.id)
    ]
