"""Tracked short links: /l/<code> counts one click for today and redirects. Public.

Only the count per link per day is stored: no IP address, no cookie, no user agent. Bots that
say so and the same client repeating the same link within half a minute are not counted
(publisher.flows.security.clicks).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request
from sqlalchemy import select

from drafts.tracking import CODE_ALPHABET, TrackedLink, count_click
from publisher.auth import public
from publisher.db import get_session
from publisher.flows.security.clicks import RepeatFilter, counts
from publisher.security import external_redirect

bp = Blueprint("links", __name__)


def _setup(state: Any) -> None:
    state.app.extensions["click_repeats"] = RepeatFilter()


bp.record_once(_setup)
CODE = re.compile(f"[{CODE_ALPHABET}]{{4,16}}")


@bp.get("/l/<code>")
@public
@external_redirect
def follow(code: str) -> Any:
    """Count the click and send the visitor on to the link's target."""
    if not CODE.fullmatch(code):
        abort(404)
    db = get_session()
    link = db.scalar(select(TrackedLink).where(TrackedLink.code == code))
    if link is None:
        abort(404)
    repeats: RepeatFilter = current_app.extensions["click_repeats"]
    if counts(repeats, code, request.remote_addr or "", request.user_agent.string):
        count_click(db, link, datetime.now(UTC).date())
        db.commit()
    response = redirect(link.url, code=302)
    response.headers["Cache-Control"] = "no-store"  # every visit is counted, none cached
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
