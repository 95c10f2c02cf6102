"""People with a login: create, edit, deactivate and reactivate (never delete)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from drafts.models import Initiative, Role, User
from publisher.auth import (
    admin_required,
    end_sessions,
    hash_password,
    password_problem,
    session_stamp,
)
from publisher.db import get_session
from publisher.i18n import lang
from publisher.web.admin.common import FormReader, bp, locales, record, show, utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
ROLES = [r.value for r in Role]


def _get(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _initiatives(db: Session) -> list[Initiative]:
    return list(db.scalars(select(Initiative).order_by(Initiative.name)))


def _read(db: Session, user: User | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Read and check the user form; `user` is None when creating."""
    form = FormReader(request.form)
    username = (request.form.get("username") or "").strip().lower()
    if not username:
        form.fail("username", _("Enter a username."))
    elif not USERNAME_RE.match(username):
        form.fail("username", _("Use 2–64 lowercase letters, digits, dots, hyphens or "
                                "underscores, starting with a letter or digit."))
    else:
        taken = db.scalar(select(User.id).where(func.lower(User.username) == username))
        if taken is not None and (user is None or taken != user.id):
            form.fail("username", _("The username %(name)s is already taken. Choose another.",
                                    name=username))
    values: dict[str, Any] = {
        "username": username,
        "name": form.text("name", 120, _("Enter the person's name.")),
        "email": form.email("email", required=False),
        "role": form.choice("role", ROLES, _("Choose a role.")),
        "locale": form.choice("locale", locales(), _("Choose a language.")),
    }
    chosen: list[Initiative] = []
    for raw in request.form.getlist("initiatives"):
        found = db.get(Initiative, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if found is None:
            form.fail("initiatives", _("That initiative does not exist. Choose from the list."))
        else:
            chosen.append(found)
    if values["role"] == Role.EDITOR.value and not chosen and "initiatives" not in form.errors:
        form.fail("initiatives", _("An editor needs at least one initiative."))
    values["initiatives"] = chosen if values["role"] == Role.EDITOR.value else []
    password = request.form.get("password") or ""
    if password or user is None:
        problem = password_problem(password)
        if problem:
            form.fail("password", problem[1] if lang() == "en" else problem[0])
    values["password"] = password
    if user is not None and user.id == g.user.id and values["role"] != Role.ADMIN.value:
        form.fail("role", _("You cannot take away your own admin role."))
    return values, form.errors


def _apply(user: User, values: dict[str, Any]) -> list[str]:
    """Copy the values onto the user; return the names of the fields that changed."""
    changed = []
    for name in ("username", "name", "email", "role", "locale"):
        if getattr(user, name) != values[name]:
            setattr(user, name, values[name])
            changed.append(name)
    if {i.id for i in user.initiatives} != {i.id for i in values["initiatives"]}:
        user.initiatives = values["initiatives"]
        changed.append("initiatives")
    if values["password"]:
        user.password_hash = hash_password(values["password"])
        changed.append("password")
    return changed


def _current(user: User) -> dict[str, Any]:
    values = {n: getattr(user, n) for n in ("username", "name", "email", "role", "locale")}
    values["initiatives"] = list(user.initiatives)
    return values


def _form(user: User | None, values: dict[str, Any], errors: dict[str, str]) -> Any:
    return show("admin/user_form.html", user=user, values=values, errors=errors,
                initiatives=_initiatives(get_session()), roles=ROLES, locales=locales())


def _duplicate(values: dict[str, Any], user: User | None) -> Any:
    get_session().rollback()
    msg = _("The username %(name)s is already taken. Choose another.", name=values["username"])
    return _form(user, values, {"username": msg})


@bp.get("/users")
@admin_required
def users() -> Any:
    """List every user, active or not."""
    rows = get_session().scalars(select(User).order_by(User.active.desc(), User.username))
    return show("admin/users.html", users=list(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_new() -> Any:
    """Create a user with a password the admin hands over."""
    db = get_session()
    values: dict[str, Any] = {"role": Role.EDITOR.value, "locale": locales()[0],
                              "initiatives": []}
    if request.method == "GET":
        return _form(None, values, {})
    values, errors = _read(db, None)
    if errors:
        return _form(None, values, errors)
    user = User(password_hash="", created_at=utcnow())
    _apply(user, values)
    db.add(user)
    try:
        db.flush()
        record(db, "user.created", user_id=user.id, username=user.username, role=user.role)
        db.commit()
    except IntegrityError:
        return _duplicate(values, None)
    flash(_("The user %(name)s was created.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int) -> Any:
    """Edit a user; the password changes only when a new one is typed."""
    db = get_session()
    user = _get(db, user_id)
    if request.method == "GET":
        return _form(user, _current(user), {})
    values, errors = _read(db, user)
    if errors:
        return _form(user, values, errors)
    changed = _apply(user, values)
    try:
        if changed:
            record(db, "user.updated", user_id=user.id, username=user.username, changed=changed)
        db.commit()
    except IntegrityError:
        return _duplicate(values, user)
    if user.id == g.user.id:  # a new password ends the other sessions, not this one
        session["stamp"] = session_stamp(user)
    flash(_("The user %(name)s was saved.", name=user.username), "success")
    return redirect(url_for("admin.users"))


def _set_active(user_id: int, active: bool) -> Any:
    db = get_session()
    user = _get(db, user_id)
    if not active and user.id == g.user.id:
        return _form(user, _current(user), {"form": _("You cannot deactivate yourself. "
                                                      "Ask another admin to do it.")})
    if user.active != active:
        user.active = active
        action = "user.reactivated" if active else "user.deactivated"
        record(db, action, user_id=user.id, username=user.username)
        db.commit()
    if active:
        flash(_("The user %(name)s can log in again.", name=user.username), "success")
    else:
        flash(_("The user %(name)s was deactivated and can no longer log in.",
                name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def user_deactivate(user_id: int) -> Any:
    """Stop a user from logging in or using their API tokens (drafts and history stay)."""
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/sessions/end")
@admin_required
def user_end_sessions(user_id: int) -> Any:
    """End every session of a user on every device (a lost phone, a copied cookie)."""
    db = get_session()
    user = _get(db, user_id)
    end_sessions(db, user)
    record(db, "user.sessions_ended", user_id=user.id, username=user.username)
    db.commit()
    if user.id == g.user.id:
        return redirect(url_for("auth.login"))
    flash(_("%(name)s is logged out on every device.", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def user_reactivate(user_id: int) -> Any:
    """Let a deactivated user log in again."""
    return _set_active(user_id, True)
