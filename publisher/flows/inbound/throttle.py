"""The per-address limit on public forms, kept in the database so it holds across workers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from drafts.suggestions import allow_hit, prune_hits
from publisher.config import Settings


class RateLimited(Exception):
    """Too many submissions of one form from one address; `minutes` says how long to wait."""

    def __init__(self, minutes: int) -> None:
        super().__init__(minutes)
        self.minutes = minutes


def address_key(settings: Settings, address: str) -> str:
    """A keyed hash of the sender's address: enough to count, useless to anyone who reads it."""
    digest = hmac.new(settings.secret_key.encode(), address.encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def count_submission(session: Session, settings: Settings, form: str, address: str,
                     now: datetime) -> None:
    """Count one submission of `form` from `address`, or raise RateLimited past the limit."""
    window = timedelta(minutes=settings.public_form_window_minutes)
    if not allow_hit(session, form, address_key(settings, address), now,
                     limit=settings.public_form_limit, window=window):
        raise RateLimited(settings.public_form_window_minutes)


def forget_old_submissions(session: Session, settings: Settings, now: datetime) -> int:
    """Remove counts older than the window (a worker job)."""
    return prune_hits(session, now, timedelta(minutes=settings.public_form_window_minutes))
