"""Who is asking: session login for people, bearer tokens for the API, roles, rate limiting.

Every endpoint needs a logged-in user unless its view is marked `@public`. The check runs for all
requests, so a new route is protected without anyone remembering to protect it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
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
BACKOFF_BASE = 2.0  # seconds after the first failure past the free ones; doubles each time
USER_CAP = 60.0  # the longest a username waits: slowed, never locked out
ADDRESS_FREE = 20  # failures from one address (any usernames) before it backs off
SESSION_IDLE_SECONDS = 60 * 60 * 12  # a session unused this long ends
SESSION_ABSOLUTE_SECONDS = 60 * 60 * 24  # and every session ends this long after login


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


def address_key(address: str | None) -> str:
    """A keyed hash of the client's address: enough to count its failures, useless to a reader."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, (address or "?").encode(), hashlib.sha256).hexdigest()[:32]


def _backoff(count: int, free: int, cap: float) -> float:
    """Seconds to wait after the last failure: none for the first `free`, then doubling."""
    if count < free:
        return 0.0
    return float(min(cap, BACKOFF_BASE * 2 ** min(count - free, 20)))


def _failures(db: Session, column: Any, key: str, since: datetime) -> tuple[int, datetime | None]:
    count, last = db.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(column == key,
                                                             LoginAttempt.at >= since)).one()
    return int(count or 0), last


def login_wait(db: Session, username: str, address: str | None, now: datetime) -> int:
    """Seconds before this username may try again from this address (0: go ahead).

    Failures back off, never lock: per username the wait doubles from 2 s up to a minute, so a
    stranger spraying wrong passwords can slow an account but never shut its owner out; per
    address (many usernames from one client) it doubles up to the whole window."""
    settings = current_settings()
    window = settings.login_window_seconds
    since = now - timedelta(seconds=window)
    waits = []
    for column, key, free, cap in (
        (LoginAttempt.username_key, _key(username), settings.login_max_failures, USER_CAP),
        (LoginAttempt.address_key, address_key(address), ADDRESS_FREE, float(window)),
    ):
        count, last = _failures(db, column, key, since)
        if last is not None:
            if last.tzinfo is None:
                last = last.replace(tzinfo=UTC)
            waits.append((last - now).total_seconds() + _backoff(count, free, cap))
    return max([0, *(math.ceil(w) for w in waits)])


def login_blocked(db: Session, username: str, now: datetime,
                  address: str | None = None) -> bool:
    """True while the username (or the address) is in its back-off after failed logins."""
    return login_wait(db, username, address, now) > 0


def record_failure(db: Session, username: str, now: datetime, address: str | None = None) -> None:
    """Count a failed login; purge failures older than the window (made-up names included)."""
    window = current_settings().login_window_seconds
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(seconds=window)))
    db.add(LoginAttempt(username_key=_key(username), address_key=address_key(address), at=now))
    db.commit()


def clear_failures(db: Session, username: str) -> None:
    db.execute(delete(LoginAttempt).where(LoginAttempt.username_key == _key(username)))


def session_stamp(user: User) -> str:
    """What a session must still match: the user's session version, password, role and state.

    A password reset, a role change or a deactivation changes the stamp, so every session
    opened before it ends without anyone having to remember to end them."""
    material = f"{user.id}|{user.session_version}|{user.password_hash}|{user.role}|{user.active}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def login_user(user: User) -> None:
    now = int(time.time())
    session.clear()
    session["user_id"] = user.id
    session["stamp"] = session_stamp(user)
    session["born"] = now
    session["seen"] = now
    session["locale"] = user.locale
    session.permanent = True


def end_sessions(db: Session, user: User) -> None:
    """End every session of `user` on every device (the caller commits)."""
    user.session_version = (user.session_version or 0) + 1
    db.flush()


def logout_user() -> None:
    """End the user's sessions everywhere (a copied cookie dies too) and clear this one."""
    user: User | None = g.get("user")
    if user is not None:
        db = get_session()
        end_sessions(db, user)
        db.commit()
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


def _session_alive(user: User | None, now: int) -> bool:
    """The session's user is active, its stamp current, and it is neither idle nor too old."""
    config = current_app.config
    born, seen = session.get("born"), session.get("seen")
    return (user is not None and user.active and isinstance(born, int)
            and isinstance(seen, int) and session.get("stamp") == session_stamp(user)
            and now - born <= config["SESSION_ABSOLUTE_SECONDS"]
            and now - seen <= config["SESSION_IDLE_SECONDS"])


def _load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = int(time.time())
    user = get_session().get(User, user_id) if isinstance(user_id, int) else None
    if not _session_alive(user, now):
        for key in ("user_id", "stamp", "born", "seen"):
            session.pop(key, None)
        return
    g.user = user
    if now - session["seen"] >= 60:  # renew the idle clock, not on every request
        session["seen"] = now


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
    app.config.setdefault("SESSION_IDLE_SECONDS", SESSION_IDLE_SECONDS)
    app.config.setdefault("SESSION_ABSOLUTE_SECONDS", SESSION_ABSOLUTE_SECONDS)
    # First of all hooks: who is asking is settled before anything reads the body (the body
    # limit depends on it; CSRF parses forms), so an anonymous POST is refused unread.
    app.before_request_funcs.setdefault(None, []).insert(0, _guard)
    app.jinja_env.globals["now_utc"] = lambda: datetime.now(UTC)
