"""Tracked short links: /l/<code> counts one click for today and redirects. Public.

Only the count per link per day is stored: no IP address, no cookie, no user agent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, redirect
from sqlalchemy import select

from drafts.tracking import CODE_ALPHABET, TrackedLink, count_click
from publisher.auth import public
from publisher.db import get_session

bp = Blueprint("links", __name__)
CODE = re.compile(f"[{CODE_ALPHABET}]{{4,16}}")


@bp.get("/l/<code>")
@public
def follow(code: str) -> Any:
    """Count the click and send the visitor on to the link's target."""
    if not CODE.fullmatch(code):
        abort(404)
    db = get_session()
    link = db.scalar(select(TrackedLink).where(TrackedLink.code == code))
    if link is None:
        abort(404)
    count_click(db, link, datetime.now(UTC).date())
    db.commit()
    response = redirect(link.url, code=302)
    response.headers["Cache-Control"] = "no-store"  # every visit is counted, none cached
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
