"""The public record: which articles and events are public now, kept in step with the drafts.

An article or event is public from its publishing time (its earliest delivery's due time, or the
time asked for) while the draft is scheduled or published. `sync` compares that with the record
and returns what changed (published, updated, withdrawn), which the caller turns into webhook
messages in the same transaction. A person may also withdraw an item (`withdraw`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from drafts.content import content_hash, plain_text, render_markdown
from drafts.models import Draft, Kind
from drafts.states import Status, audit
from publisher.flows.feeds.models import PublicItem
from schedules.models import Delivery, DeliveryStatus

PUBLIC_KINDS = (Kind.ARTICLE.value, Kind.EVENT.value)
PUBLIC_STATUSES = (Status.SCHEDULED.value, Status.PUBLISHED.value)
SUMMARY_CHARS = 280


def slugify(title: str) -> str:
    """A readable URL part: Danish letters spelled out, the rest ASCII."""
    text = title.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "item"


def item_path(item: PublicItem) -> str:
    """The item's page below the base URL (the public blueprint's `item` route)."""
    return f"/items/{item.id}/{slugify(item.title)}"


@dataclass(frozen=True)
class Change:
    """One change of the public record: item.published, item.updated or item.withdrawn."""

    event: str
    item: PublicItem


def publishing_time(session: Session, draft: Draft) -> datetime | None:
    """When the draft goes public: its earliest live delivery, else the time asked for."""
    earliest = session.scalar(select(func.min(Delivery.due_at)).where(
        Delivery.draft_id == draft.id, Delivery.status != DeliveryStatus.CANCELLED.value))
    return earliest or draft.desired_at


def summary(markdown: str) -> str:
    """The first words of the body as plain text, for feeds and link previews."""
    text = " ".join(plain_text(markdown).split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def snapshot(draft: Draft) -> dict[str, Any]:
    """What the public record keeps of a draft."""
    image = next(iter(draft.media), None)
    return {
        "kind": draft.kind,
        "title": draft.title,
        "summary": summary(draft.body),
        "body_html": render_markdown(draft.body),
        "initiative": draft.initiative.slug,
        "municipalities": sorted(m.slug for m in draft.municipalities),
        "event_start": draft.event_start if draft.kind == Kind.EVENT.value else None,
        "event_end": draft.event_end if draft.kind == Kind.EVENT.value else None,
        "content_hash": draft.content_hash or content_hash(draft),
        "facts": {
            "initiative_name": draft.initiative.name,
            "initiative_name_en": draft.initiative.name_en,
            "municipality_names": {m.slug: m.name for m in draft.municipalities},
            "link": draft.link, "venue": draft.venue, "address": draft.address,
            "price": draft.price, "ticket_url": draft.ticket_url, "audience": draft.audience,
            "image": ({"stored_name": image.stored_name, "alt": image.alt_text,
                       "width": image.width, "height": image.height} if image else None),
        },
    }


def _due_drafts(session: Session, now: datetime) -> dict[int, Draft]:
    drafts = session.scalars(
        select(Draft).where(Draft.kind.in_(PUBLIC_KINDS), Draft.status.in_(PUBLIC_STATUSES))
        .options(selectinload(Draft.municipalities), selectinload(Draft.media),
                 selectinload(Draft.initiative)))
    due = {}
    for draft in drafts:
        when = publishing_time(session, draft)
        if when is not None and when <= now:
            due[draft.id] = draft
    return due


def _apply(item: PublicItem, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(item, key, value)


def sync(session: Session, now: datetime) -> list[Change]:
    """Bring the public record in line with the drafts (no commit); return the changes."""
    due = _due_drafts(session, now)
    items = {i.draft_id: i for i in session.scalars(select(PublicItem))}
    changes: list[Change] = []
    for draft_id, draft in due.items():
        values = snapshot(draft)
        item = items.get(draft_id)
        if item is None:
            item = PublicItem(draft_id=draft_id, published_at=now, updated_at=now,
                              changed_at=now, sequence=0, **values)
            session.add(item)
            changes.append(Change("item.published", item))
        elif item.withdrawn_at is not None and item.withdrawn_by == "system":
            _apply(item, values)  # rescheduled or approved again: public once more
            item.sequence += 1
            item.withdrawn_at, item.withdrawn_by = None, ""
            item.updated_at = item.changed_at = now
            changes.append(Change("item.published", item))
        elif item.withdrawn_at is None and item.content_hash != values["content_hash"]:
            _apply(item, values)
            item.sequence += 1
            item.updated_at = item.changed_at = now
            changes.append(Change("item.updated", item))
    for draft_id, item in items.items():
        if draft_id not in due and item.withdrawn_at is None:
            item.withdrawn_at = item.changed_at = now
            item.withdrawn_by = "system"
            changes.append(Change("item.withdrawn", item))
    session.flush()
    return changes


def withdraw(session: Session, item: PublicItem, now: datetime,
             actor: tuple[str, int | None, str]) -> Change | None:
    """Take an item off the public site and feeds by hand (no commit); None if it already is."""
    if item.withdrawn_at is not None:
        return None
    item.withdrawn_at = item.changed_at = now
    item.withdrawn_by = "person"
    draft = session.get(Draft, item.draft_id)
    audit(session, action="public_withdrawn", actor=actor, now=now, draft=draft)
    session.flush()
    return Change("item.withdrawn", item)


def live_items(session: Session, *, kinds: Sequence[str] = (), limit: int | None = None
               ) -> list[PublicItem]:
    """Public items, newest first."""
    query = select(PublicItem).where(PublicItem.withdrawn_at.is_(None))
    if kinds:
        query = query.where(PublicItem.kind.in_(kinds))
    query = query.order_by(PublicItem.published_at.desc(), PublicItem.id.desc())
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def upcoming_events(session: Session, now: datetime) -> list[PublicItem]:
    """Public events that have not ended, soonest first."""
    query = select(PublicItem).where(
        PublicItem.withdrawn_at.is_(None), PublicItem.kind == Kind.EVENT.value,
        func.coalesce(PublicItem.event_end, PublicItem.event_start) >= now,
    ).order_by(PublicItem.event_start, PublicItem.id)
    return list(session.scalars(query))


def generation(session: Session) -> tuple[datetime | None, int]:
    """What changes whenever the public record does: the last change and the number of items."""
    row = session.execute(select(func.max(PublicItem.changed_at), func.count(PublicItem.id))).one()
    return row[0], int(row[1])
