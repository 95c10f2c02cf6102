"""Who is asking: session login for people, bearer tokens for the API, roles, rate limiting.

Every endpoint needs a logged-in user unless its view is marked `@public`. The check runs for all
requests, so a new route is protected without anyone remembering to protect it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from drafts.models import ApiToken, LoginAttempt, Role, User
from drafts.states import Actor
from publisher.config import current_settings
from publisher.db import get_session

F = TypeVar("F", bound=Callable[..., Any])

TOKEN_PREFIX = "pub_"
# A fixed hash to compare against when the username does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def public(view: F) -> F:
    """Mark a view as reachable without logging in."""
    view._public = True  # type: ignore[attr-defined]
    return view


def token_authenticated(view: F) -> F:
    """Mark a view as authenticated by API token (checked by the API itself), not the session."""
    view._token_auth = True  # type: ignore[attr-defined]
    return view


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(user: User | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the user exists."""
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def password_problem(password: str) -> tuple[str, str] | None:
    """A reason (da, en) the password is too weak, or None."""
    if len(password) < 12:
        return ("Adgangskoden skal have mindst 12 tegn.",
                "The password needs at least 12 characters.")
    if len(set(password)) < 5:
        return ("Adgangskoden er for ensformig.", "The password is too repetitive.")
    return None


def _key(username: str) -> str:
    return username.strip().lower()[:64]


def login_blocked(db: Session, username: str, now: datetime) -> bool:
    """True when the username had too many failed logins within the window."""
    settings = current_settings()
    since = now - timedelta(seconds=settings.login_window_seconds)
    count = db.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username_key == _key(username), LoginAttempt.at >= since
        )
    )
    return (count or 0) >= settings.login_max_failures


def record_failure(db: Session, username: str, now: datetime) -> None:
    db.add(LoginAttempt(username_key=_key(username), at=now))
    db.commit()


def clear_failures(db: Session, username: str) -> None:
    db.execute(delete(LoginAttempt).where(LoginAttempt.username_key == _key(username)))


def login_user(user: User) -> None:
    session.clear()
    session["user_id"] = user.id
    session["locale"] = user.locale
    session.permanent = True


def logout_user() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def actor() -> Actor:
    """The current user as an audit actor."""
    user: User | None = g.get("user")
    if user is None:
        return ("system", None, "system")
    kind = "api" if g.get("via_token") else "user"
    return (kind, user.id, user.username)


def require_role(*roles: Role) -> Callable[[F], F]:
    """Refuse (403) users whose role is not one of `roles`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.get("user")
            if user is None or user.role not in {r.value for r in roles}:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


admin_required = require_role(Role.ADMIN)


def new_api_token(db: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Create a token; return the row and the secret (shown once, only its hash is kept)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name[:120], prefix=secret[:12],
        token_hash=hashlib.sha256(secret.encode()).hexdigest(), created_at=now,
    )
    db.add(token)
    db.flush()
    return token, secret


def user_for_token(db: Session, secret: str, now: datetime) -> User | None:
    """The active user behind a bearer token, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
        db.commit()
    return token.user


def _load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = get_session().get(User, user_id)
        if user is not None and user.active:
            g.user = user
        else:
            session.pop("user_id", None)


def _view_flag(name: str) -> bool:
    if request.endpoint is None:
        return True  # 404s and the like: let the error handlers answer
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, name, False))


def _guard() -> Any:
    _load_user()
    if _view_flag("_public") or _view_flag("_token_auth"):
        return None
    if request.endpoint == "static" or request.endpoint is None:
        return None
    if g.user is None:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    return None


def init_app(app: Flask) -> None:
    app.before_request(_guard)
    app.jinja_env.globals["now_utc"] = lambda: datetime.now(UTC)
