"""CSRF on every form, security headers on every answer, and the request-wide limits:

- route ids: an `<int:…>` beyond 2³¹−1 (the database's integer range) is a 404 instead of a
  database error;
- bodies: at most `BODY_LIMIT` (1 MiB) per request; a view marked `@large_body` (uploads) gets
  the upload limit, and only for a logged-in user who may create drafts. The session guard
  (publisher.auth) runs before the body is read, so an anonymous POST to a protected page is
  refused without parsing it;
- redirects: `safe_next()` for every target that comes from the request; an answer that would
  still redirect to another site is turned into a redirect home unless its view is marked
  `@external_redirect` (the tracked links).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request, url_for
from flask_wtf.csrf import CSRFProtect

from publisher.config import current_settings

csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])

BODY_LIMIT = 1024 * 1024  # every request body, unless its view is marked @large_body
DB_INT_MAX = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL's int4)


def _ids_in_range() -> None:
    """A route id beyond what an INTEGER column holds names nothing: 404, never a database
    error. (Checked here rather than in the converter, where a refused id on a path that has
    routes for other methods would answer 405.)"""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and \
                not -DB_INT_MAX - 1 <= value <= DB_INT_MAX:
            abort(404)


def large_body(view: F) -> F:
    """Mark a view that accepts uploads: its body may be as large as the upload settings allow."""
    view._large_body = True  # type: ignore[attr-defined]
    return view


def public_upload(view: F) -> F:
    """Mark a public form that takes one image from anyone (the activity suggestion): its body
    may hold one image of the upload size; the form's own flood limit stops repetition."""
    view._public_upload = True  # type: ignore[attr-defined]
    return view


def external_redirect(view: F) -> F:
    """Mark a view that may redirect to another site (a tracked link's target)."""
    view._external_redirect = True  # type: ignore[attr-defined]
    return view


def _view_flag(name: str) -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, name, False))


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` if it is a path on this site, else `default` (the queue): no open redirect."""
    fallback = default or url_for("drafts.queue")
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    # Browsers read "/\host" as "//host" and drop tabs and newlines, so refuse those too.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return fallback
    return target


def upload_limit() -> int:
    settings = current_settings()
    return int(settings.max_upload_bytes * settings.images_per_draft + BODY_LIMIT)


def _limit_body() -> None:
    """Choose this request's body limit before anything reads the body (CSRF reads forms)."""
    user = g.get("user")
    ceiling = current_app.config.get("MAX_CONTENT_LENGTH") or upload_limit()
    if _view_flag("_large_body") and user is not None and user.may_create():
        request.max_content_length = min(ceiling, upload_limit())
    elif _view_flag("_public_upload"):
        one_image = current_settings().max_upload_bytes + BODY_LIMIT
        request.max_content_length = min(ceiling, int(one_image))
    else:
        request.max_content_length = min(ceiling, current_app.config.get("BODY_LIMIT",
                                                                         BODY_LIMIT))


def _offsite(location: str) -> bool:
    parts = urlsplit(location)
    if not parts.netloc and not location.startswith("//") and "\\" not in location:
        return False
    return parts.netloc.lower() != request.host.lower()


def init_app(app: Flask) -> None:
    app.before_request(_ids_in_range)
    app.before_request(_limit_body)  # before CSRFProtect's hook, which parses the form
    csrf.init_app(app)

    @app.before_request
    def _request_id() -> None:
        g.request_id = secrets.token_hex(8)
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def _headers(response: Response) -> Response:
        nonce = g.get("csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; frame-ancestors 'none'; form-action 'self'; "
            "base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.after_request
    def _no_open_redirect(response: Response) -> Response:
        """The last line against an open redirect: a view that forgot safe_next() still
        cannot send the visitor to another site."""
        location = response.headers.get("Location")
        if (location and 300 <= response.status_code < 400 and _offsite(location)
                and not _view_flag("_external_redirect")):
            response.headers["Location"] = url_for("auth.index")
        return response
