"""/healthz: is the service up and its database reachable; /favicon.ico for browsers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from publisher.auth import public
from publisher.db import get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> Any:
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@public
def favicon() -> Any:
    """The icon browsers ask for on their own (an SVG; every current browser shows it)."""
    response = send_from_directory(str(current_app.static_folder), "favicon.svg",
                                   mimetype="image/svg+xml", max_age=86400)
    return response
