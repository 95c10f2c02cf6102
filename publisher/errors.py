"""Friendly error pages in both languages; problem+json for the API. Never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("publisher.errors")


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Any:
    """An RFC 9457 problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please log in"),
        403: _("You do not have access to this"),
        404: _("Page not found"),
        405: _("That is not possible here"),
        409: _("Someone else changed this first"),
        413: _("The upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def _render(status: int, detail: str = "") -> Any:
    title = _titles().get(status, _("Something went wrong"))
    if wants_json():
        return problem(status, title, detail)
    return render_template("error.html", status=status, title=title, detail=detail), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return _render(400, _("The form had expired or was not sent from this site. "
                              "Please go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        response = app.make_response(_render(exc.code or 500))
        for name in ("Allow", "Retry-After"):  # 405 says what is allowed (RFC 9110 §15.5.6)
            value = dict(exc.get_headers()).get(name)
            if value:
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error")
        return _render(InternalServerError.code)
