"""Serving uploaded images publicly: Instagram and Facebook fetch them from this URL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, send_from_directory
from sqlalchemy import select

from drafts.models import Media
from publisher.auth import public
from publisher.config import current_settings
from publisher.db import get_session

bp = Blueprint("media", __name__)

# Stored names are a content hash and a suffix (drafts.images.check_and_store); nothing else is
# ever served, so no path can leave the upload folder.
STORED_NAME = re.compile(r"[0-9a-f]{40}\.(?:jpg|png|webp)")
ONE_YEAR = 365 * 24 * 60 * 60


def upload_dir() -> Path:
    """The upload folder as an absolute path (relative settings are taken from the working dir)."""
    return Path(current_settings().upload_dir).resolve()


@bp.get("/media/<name>")
@public
def serve(name: str) -> Any:
    """Send a stored image by its stored name, if a media row knows it."""
    if not STORED_NAME.fullmatch(name):
        abort(404)
    mime = get_session().scalar(
        select(Media.mime_type).where(Media.stored_name == name).limit(1)
    )
    if mime is None or not (upload_dir() / name).is_file():
        abort(404)
    response = send_from_directory(upload_dir(), name, mimetype=mime, max_age=ONE_YEAR,
                                   conditional=True)
    # The name is the content's hash: the bytes behind it never change.
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
