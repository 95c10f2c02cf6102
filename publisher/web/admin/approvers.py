"""Approvers: politicians and culture chiefs who approve by emailed link (no login)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import Approver, ApproverRole, Municipality
from publisher.auth import actor, admin_required
from publisher.db import get_session
from publisher.flows.security.approver_changes import on_approver_changed
from publisher.web.admin.common import (
    FormReader,
    bp,
    locale_label,
    locales,
    municipality_options,
    record,
    show,
)

ROLES = [r.value for r in ApproverRole]
FIELDS = ("name", "email", "municipality", "role", "deputy_of", "away", "locale", "active")


def role_label(role: str) -> str:
    """An approver role in words."""
    return {
        ApproverRole.CHAIR.value: _("Committee chair"),
        ApproverRole.CULTURE_CHIEF.value: _("Culture chief"),
        ApproverRole.DEPUTY.value: _("Deputy"),
    }.get(role, role)


def _get(db: Session, approver_id: int) -> Approver:
    approver = db.get(Approver, approver_id)
    if approver is None:
        abort(404)
    return approver


def _creates_cycle(target: Approver, approver: Approver | None) -> bool:
    """True when following deputy_of from `target` comes back to `approver` (or loops)."""
    seen: set[int] = set()
    node: Approver | None = target
    while node is not None:
        if approver is not None and node.id == approver.id:
            return True
        if node.id in seen:
            return True
        seen.add(node.id)
        node = node.deputy_of
    return False


def _deputy_of(db: Session, form: FormReader, approver: Approver | None,
               muni: Municipality | None) -> Approver | None:
    """The approver this one stands in for: same municipality, not itself, no loops."""
    target_id = form.ident("deputy_of")
    if target_id is None:
        return None
    target = db.get(Approver, target_id)
    if target is None:
        form.fail("deputy_of", _("That approver does not exist. Choose one from the list."))
    elif approver is not None and target.id == approver.id:
        form.fail("deputy_of", _("An approver cannot be their own deputy."))
    elif muni is not None and target.municipality_id != muni.id:
        form.fail("deputy_of", _("A deputy stands in for someone in the same municipality."))
    elif _creates_cycle(target, approver):
        form.fail("deputy_of", _("That would make a circle of deputies. Choose someone else."))
    else:
        return target
    return None


def _read(db: Session, approver: Approver | None) -> tuple[dict[str, Any], dict[str, str]]:
    form = FormReader(request.form)
    muni = form.municipality(db, "municipality", required=True)
    values: dict[str, Any] = {
        "name": form.text("name", 120, _("Enter the approver's name.")),
        "email": form.email("email", required=True),
        "municipality": muni,
        "municipality_id": form.data.get("municipality", ""),
        "role": form.choice("role", ROLES, _("Choose a role.")),
        "deputy_of": _deputy_of(db, form, approver, muni),
        "deputy_of_id": form.data.get("deputy_of", ""),
        "away": form.flag("away"),
        "locale": form.choice("locale", locales(), _("Choose a language.")),
        "active": form.flag("active"),
    }
    if approver is not None and muni is not None and muni.id != approver.municipality_id:
        stand_ins = db.scalars(select(Approver.name).where(Approver.deputy_of_id == approver.id))
        names = ", ".join(stand_ins)
        if names:
            form.fail("municipality", _("%(names)s stand(s) in for this approver. Change that "
                                        "first, then move the approver.", names=names))
    return values, form.errors


def _form(approver: Approver | None, values: dict[str, Any], errors: dict[str, str]) -> Any:
    db = get_session()
    candidates = [a for a in db.scalars(select(Approver).order_by(Approver.name))
                  if approver is None or a.id != approver.id]
    current = approver.municipality if approver is not None else None
    deputy_pairs = [
        (a.id, f"{a.name} ({a.municipality.name})" if a.municipality else a.name)
        for a in candidates
    ]
    return show("admin/approver_form.html", approver=approver, values=values, errors=errors,
                municipalities=municipality_options(db, current), deputy_pairs=deputy_pairs,
                role_pairs=[(r, role_label(r)) for r in ROLES],
                locale_pairs=[(c, locale_label(c)) for c in locales()])


@bp.get("/approvers")
@admin_required
def approvers() -> Any:
    """List approvers, optionally those of one municipality."""
    db = get_session()
    query = select(Approver).order_by(Approver.active.desc(), Approver.name)
    raw = (request.args.get("municipality") or "").strip()
    selected: Municipality | None = None
    error = ""
    if raw:
        selected = db.get(Municipality, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if selected is None:
            error = _("There is no such municipality. Showing all approvers.")
        else:
            query = query.where(Approver.municipality_id == selected.id)
    munis = list(db.scalars(select(Municipality).order_by(Municipality.name)))
    return show("admin/approvers.html", 400 if error else 200, approvers=list(db.scalars(query)),
                municipalities=munis, selected=selected, filter_error=error)


@bp.route("/approvers/new", methods=["GET", "POST"])
@admin_required
def approver_new() -> Any:
    """Add an approver."""
    if request.method == "GET":
        return _form(None, {"role": ROLES[0], "locale": locales()[0], "active": True}, {})
    db = get_session()
    values, errors = _read(db, None)
    if errors:
        return _form(None, values, errors)
    approver = Approver()
    for name in FIELDS:
        setattr(approver, name, values[name])
    db.add(approver)
    db.flush()
    record(db, "approver.created", approver_id=approver.id, name=approver.name)
    db.commit()
    flash(_("%(name)s was added.", name=approver.name), "success")
    return redirect(url_for("admin.approvers"))


@bp.route("/approvers/<int:approver_id>", methods=["GET", "POST"])
@admin_required
def approver_edit(approver_id: int) -> Any:
    """Edit an approver: contact, role, deputy, away and active flags."""
    db = get_session()
    approver = _get(db, approver_id)
    if request.method == "GET":
        values: dict[str, Any] = {n: getattr(approver, n) for n in FIELDS}
        values["municipality_id"] = str(approver.municipality_id or "")
        values["deputy_of_id"] = str(approver.deputy_of_id or "")
        return _form(approver, values, {})
    values, errors = _read(db, approver)
    if errors:
        return _form(approver, values, errors)
    changed = [n for n in FIELDS if getattr(approver, n) != values[n]]
    for name in changed:
        setattr(approver, name, values[name])
    if changed:
        record(db, "approver.updated", approver_id=approver.id, name=approver.name,
               changed=changed)
        # A link already mailed must not outlive the person's right to decide with it.
        on_approver_changed(db, approver, changed, datetime.now(UTC), actor())
        db.commit()
    flash(_("%(name)s was saved.", name=approver.name), "success")
    return redirect(url_for("admin.approvers"))
