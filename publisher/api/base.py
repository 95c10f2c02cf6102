"""The API v1 blueprint: bearer-token authentication, request parsing and error shapes."""

from __future__ import annotations

import http
import json
from datetime import UTC, datetime
from typing import Any

import flask_smorest
from flask import g, request
from flask_babel import get_locale
from flask_babel import gettext as _
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import HTTPException

from drafts.models import User
from publisher.api import problems
from publisher.auth import user_for_token
from publisher.db import get_session


class ApiParser(FlaskParser):
    """webargs' Flask parser, stricter about bodies: a body must be JSON, and readable."""

    def _raw_load_json(self, req: Any) -> Any:
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        if not req.is_json:
            abort(400, problem_code="not_json")
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            # ValueError covers JSONDecodeError, bad UTF-8 and over-long integers.
            abort(400, exc=exc, problem_code="invalid_json")


    def load_files(self, req: Any, schema: Any) -> Any:
        """A multipart body's files and its other fields together (an image and its alt text)."""
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ApiParser()


bp = ApiBlueprint(
    "api_v1", __name__, url_prefix="/api/v1",
    description="Drafts and the organisation's reference data, for scripts and integrations.",
)


def current_user() -> User:
    """The user behind the request's bearer token (set by `_authenticate`)."""
    user: User = g.user
    return user


def now() -> datetime:
    return datetime.now(UTC)


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


@bp.before_request
def _authenticate() -> Any:
    """Every request of the blueprint needs a valid bearer token; a session does not count."""
    if request.headers.get("Accept-Language"):
        # Settle the language on the header before the token user's own preference can count.
        get_locale()
    g.user = None
    secret = _bearer_secret()
    if secret is None:
        return problems.unauthorized(invalid_token=False)
    user = user_for_token(get_session(), secret, now())
    if user is None:
        return problems.unauthorized(invalid_token=True)
    g.user = user
    g.via_token = True
    if request.method not in ("GET", "HEAD", "OPTIONS") and not user.may_create():
        # Authorisation before the body is read: a viewer's token never writes, so its body
        # (up to the 1 MiB limit, publisher.security) is not parsed at all.
        return problems.forbidden(_("Your account can read drafts but not change them."))
    return None


def _parse_error(exc: HTTPException) -> Any:
    """problem+json for webargs' parsing errors (400 unreadable body, 422 invalid fields)."""
    data = getattr(exc, "data", None) or {}
    if data.get("problem_code"):
        return problems.bad_request(data["problem_code"])
    if exc.code == 422:
        return problems.invalid(problems.from_marshmallow(data.get("messages"), data.get("schema")))
    return problems.bad_request("invalid_json")


# Other errors (404, 405, 413, 500) get problem+json from publisher.errors: /api/ paths want JSON.
bp.register_error_handler(400, _parse_error)
bp.register_error_handler(422, _parse_error)


_RESPONSE_NAMES = {code: http.HTTPStatus(code).name for code in (400, 401, 403, 404, 409, 413, 422)}


def documented(*codes: int) -> Any:
    """Document the problem+json error responses an operation can give."""

    def decorate(view: Any) -> Any:
        for code in codes:
            view = bp.alt_response(code, response=_RESPONSE_NAMES[code])(view)
        return view

    return decorate
