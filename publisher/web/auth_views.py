"""Log in, log out, choose language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
    login_user,
    login_wait,
    logout_user,
    public,
    record_failure,
    verify_password,
)
from publisher.config import current_settings
from publisher.db import get_session
from publisher.security import safe_next

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow local paths after login (no open redirect)."""
    return safe_next(target)


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
    status, wait = 200, 0
    username = ""
    if request.method == "POST":
        db = get_session()
        now = datetime.now(UTC)
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        address = request.remote_addr
        wait = login_wait(db, username, address, now)
        if wait > 0:
            error = _("Too many failed attempts. Wait %(n)s seconds and try again.", n=wait)
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
            record_failure(db, username, now, address)
            error = _("Wrong username or password.")
            status = 401
    demo = current_settings().demo_mode
    page = render_template("auth/login.html", error=error, username=username, demo=demo)
    headers = {"Retry-After": str(wait)} if status == 429 else {}
    return page, status, headers


@bp.post("/logout")
def logout() -> Any:
    """Log out on every device: the user's session version moves on, so copies die too."""
    logout_user()
    flash(_("You are logged out on every device."), "info")
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
