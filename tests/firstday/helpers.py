"""Drafts arranged for the first-day tests: channels, an image, a time ahead or past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest
from drafts.models import AuditEvent, Draft, Media
from drafts.service import create_draft
from drafts.validation import clean_draft_input

ZONE = ZoneInfo("Europe/Copenhagen")
MUNICIPALITIES = {
    "albertslund",
    "fureso",
    "halsnaes",
    "helsingor",
    "herlev",
    "ishoj",
    "koge",
    "roskilde",
    "rodovre",
}
# A public address, so Instagram's "the image must be fetchable" rule holds for test images.
PUBLIC_BASE = "https://publisher.example.org"


def local(moment: datetime) -> str:
    """`moment` as a form's datetime-local value in Copenhagen time."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def arrange(
    db: Session, *, image: bool = True, ahead: timedelta = timedelta(days=3), **fields: Any
) -> int:
    """A draft for Facebook and Instagram (with a JPEG unless `image` is False) due `ahead`."""
    raw: dict[str, Any] = {
        "kind": "post",
        "title": "Koncert i Roskilde",
        "body": "Kom og hør **unge bands** i parken.",
        "initiative": "music",
        "municipalities": ["roskilde"],
        "channels": ["facebook", "instagram"],
        "desired_at": (datetime.now(UTC) + ahead).isoformat(),
    }
    raw.update(fields)
    data, errors = clean_draft_input(
        raw,
        zone=ZONE,
        municipalities=MUNICIPALITIES,
        initiatives={"music", "youth", "culture-health"},
    )
    assert data is not None, errors
    media = (
        [
            Media(
                filename="park.jpg",
                stored_name="ab12.jpg",
                mime_type="image/jpeg",
                width=1200,
                height=900,
                size_bytes=200_000,
                sha256="ab" * 32,
                alt_text="Et band på en scene i parken",
            )
        ]
        if image
        else []
    )
    draft = create_draft(
        db, data, actor=("system", None, "test"), author_id=None, now=datetime.now(UTC), media=media
    )
    db.commit()
    return draft.id


def state(db: Session, draft_id: int) -> tuple[str, int, int, int]:
    """The draft's status and version, its approval requests and its audit events, read fresh."""
    db.expire_all()
    draft = db.get(Draft, draft_id)
    assert draft is not None
    result = (
        draft.status,
        draft.version,
        db.scalar(
            select(func.count())
            .select_from(ApprovalRequest)
            .where(ApprovalRequest.draft_id == draft_id)
        )
        or 0,
        db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.draft_id == draft_id)
        )
        or 0,
    )
    db.commit()
    return result
