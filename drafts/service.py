"""Creating and editing drafts: the one place that applies checked input and keeps the history.

An edit that changes what will be published bumps `version`, recomputes `content_hash`, and sends
an item that was in review, approved or scheduled back to draft: earlier approvals were for other
content and no longer count. What an edit sets off elsewhere (withdrawn deliveries, approvers
asked again) is done by the caller, in order: see publisher/flows/editing.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.content import content_fields, content_hash
from drafts.models import Draft, Initiative, Media, Municipality, Variant
from drafts.states import EDITABLE, Actor, Status, audit, transition
from drafts.validation import DraftInput


class NotEditable(Exception):
    """The draft's status does not allow edits (published or cancelled)."""


def _apply(session: Session, draft: Draft, data: DraftInput) -> None:
    draft.kind = data.kind
    draft.title = data.title
    draft.body = data.body
    draft.link = data.link
    draft.initiative = session.scalars(
        select(Initiative).where(Initiative.slug == data.initiative)
    ).one()
    draft.municipalities = list(
        session.scalars(select(Municipality).where(Municipality.slug.in_(data.municipalities)))
    )
    draft.channels = list(data.channels)
    draft.desired_at = data.desired_at
    draft.event_start = data.event_start
    draft.event_end = data.event_end
    for name in ("venue", "address", "price", "ticket_url", "audience"):
        setattr(draft, name, getattr(data, name))
    existing = {v.channel: v for v in draft.variants}
    for channel, variant in list(existing.items()):
        if channel not in data.variants:
            draft.variants.remove(variant)
    for channel, text in data.variants.items():
        if channel in existing:
            existing[channel].text = text
        else:
            draft.variants.append(Variant(channel=channel, text=text))


def create_draft(
    session: Session, data: DraftInput, *, actor: Actor, author_id: int | None, now: datetime,
    media: list[Media] | None = None,
) -> Draft:
    """Create a draft from checked input and record who made it."""
    draft = Draft(status=Status.DRAFT.value, version=1, author_id=author_id,
                  created_at=now, updated_at=now, title=data.title)
    with session.no_autoflush:
        _apply(session, draft, data)
    session.add(draft)
    for position, item in enumerate(media or []):
        item.position = position
        draft.media.append(item)
    session.flush()
    draft.content_hash = content_hash(draft)
    audit(session, action="created", actor=actor, now=now, draft=draft,
          details={"content_hash": draft.content_hash})
    return draft


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the published fields that differ."""
    return sorted(k for k in after if before.get(k) != after.get(k))


def update_draft(
    session: Session, draft: Draft, data: DraftInput, *, actor: Actor, now: datetime,
    new_media: list[Media] | None = None, remove_media: set[int] | None = None,
    alt_texts: dict[int, str] | None = None,
) -> list[str]:
    """Apply an edit; return the changed fields (empty when nothing that is published changed)."""
    if Status(draft.status) not in EDITABLE:
        raise NotEditable(draft.status)
    before = content_fields(draft)
    desired_before = draft.desired_at
    with session.no_autoflush:
        _apply(session, draft, data)
    for item in list(draft.media):
        if remove_media and item.id in remove_media:
            draft.media.remove(item)
        elif alt_texts and item.id in alt_texts:
            item.alt_text = alt_texts[item.id]
    for item in new_media or []:
        item.position = len(draft.media)
        draft.media.append(item)
    session.flush()
    changed = changed_fields(before, content_fields(draft))
    if desired_before != draft.desired_at:
        audit(session, action="rescheduled", actor=actor, now=now, draft=draft,
              details={"from": desired_before.isoformat() if desired_before else None,
                       "to": draft.desired_at.isoformat() if draft.desired_at else None})
    if not changed:
        return []
    draft.version += 1
    draft.content_hash = content_hash(draft)
    draft.updated_at = now
    audit(session, action="edited", actor=actor, now=now, draft=draft,
          details={"fields": changed, "content_hash": draft.content_hash})
    if draft.status in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED):
        transition(session, draft, "withdraw", actor=actor, now=now,
                   note="content changed; earlier approvals no longer apply")
    elif draft.status == Status.REJECTED:
        transition(session, draft, "reopen", actor=actor, now=now, note="edited after rejection")
    return changed
