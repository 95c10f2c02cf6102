"""Turning a Citatboks into a draft post for its municipality (one click from the page)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import Draft, Initiative, Municipality, User
from drafts.service import create_draft
from drafts.validation import FieldError, clean_draft_input

TITLE_LIMIT = 200


def citatboks_draft(
    session: Session,
    text: str,
    municipality: str,
    initiative: str,
    *,
    user: User,
    actor: tuple[str, int | None, str],
    now: datetime,
    zone: ZoneInfo,
) -> tuple[Draft | None, list[FieldError]]:
    """A Facebook draft holding `text`, tagged with the municipality; or the problems."""
    muni = session.scalar(select(Municipality).where(Municipality.slug == municipality))
    first_line = " ".join(text.split())[:80]
    raw = {
        "kind": "post",
        "title": f"Citatboks: {muni.name if muni else municipality} – {first_line}"[:TITLE_LIMIT],
        "body": text,
        "initiative": initiative,
        "municipalities": [municipality],
        "channels": ["facebook"],
    }
    known_munis = set(session.scalars(select(Municipality.slug)).all())
    known_initiatives = set(session.scalars(select(Initiative.slug)).all())
    data, problems = clean_draft_input(
        raw, zone=zone, municipalities=known_munis, initiatives=known_initiatives
    )
    if not text.strip():
        problems.append(FieldError("body", "required", "Teksten er tom.", "The text is empty."))
    if data is None or problems:
        return None, problems
    draft = create_draft(session, data, actor=actor, author_id=user.id, now=now)
    return draft, []
