"""Log in, log out, choose language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from drafts.models import User
from drafts.states import audit
from publisher.auth import (
    clear_failures,
    login_blocked,
    login_user,
    logout_user,
    public,
    record_failure,
    verify_password,
)
from publisher.config import current_settings
from publisher.db import get_session

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow local paths after login (no open redirect)."""
    if not target:
        return url_for("drafts.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("drafts.queue")
    # Browsers read "/\host" as "//host" and drop tabs and newlines, so refuse those too.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return url_for("drafts.queue")
    return target


@bp.get("/")
@public
def index() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for("drafts.queue"))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        db = get_session()
        now = datetime.now(UTC)
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        if login_blocked(db, username, now):
            error = _("Too many failed attempts. Wait a quarter of an hour and try again.")
            status = 429
        else:
            user = db.scalar(select(User).where(User.username == username))
            if verify_password(user, password) and user is not None:
                clear_failures(db, username)
                user.last_login_at = now
                audit(db, action="login", actor=("user", user.id, user.username), now=now)
                db.commit()
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            record_failure(db, username, now)
            error = _("Wrong username or password.")
            status = 401
    demo = current_settings().demo_mode
    return render_template("auth/login.html", error=error, username=username, demo=demo), status


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def language() -> Any:
    choice = request.form.get("locale", "")
    settings = current_settings()
    if choice in settings.locale_list:
        session["locale"] = choice
        user: User | None = g.get("user")
        if user is not None:
            user.locale = choice
            get_session().commit()
    return redirect(_safe_next(request.form.get("next")))
