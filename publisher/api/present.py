"""Drafts, audit events and reference rows as the plain dicts the response schemas dump."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from channels.base import reason_text
from drafts.content import channel_text, render_markdown
from drafts.models import (
    Approver,
    AuditEvent,
    ChannelAccount,
    Draft,
    Initiative,
    Municipality,
    User,
)
from drafts.states import allowed_actions
from publisher.config import Settings
from publisher.flows.delivery_views import deliveries_of, delivery_problem
from publisher.i18n import lang
from schedules.models import Attempt, Delivery, DeliveryStatus
from schedules.outbox import not_started
from schedules.wording import reason_kind


def municipality(row: Municipality) -> dict[str, Any]:
    return {"slug": row.slug, "name": row.name, "active": row.active}


def initiative(row: Initiative) -> dict[str, Any]:
    home = row.home_municipality
    return {"slug": row.slug, "name": row.name, "name_en": row.name_en or "",
            "subtitle": row.subtitle or "", "home_municipality": home.slug if home else None,
            "active": row.active}


def draft_summary(draft: Draft) -> dict[str, Any]:
    """The fields a list shows."""
    return {
        "id": draft.id,
        "kind": draft.kind,
        "title": draft.title,
        "status": draft.status,
        "version": draft.version,
        "initiative": draft.initiative.slug,
        "municipalities": [m.slug for m in draft.municipalities],
        "channels": list(draft.channels or []),
        "desired_at": draft.desired_at,
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
    }


def actions_for(user: User, draft: Draft) -> list[str]:
    """The transitions `user` may request on `draft` now (none for those who may not edit it)."""
    if not user.may_edit(draft):
        return []
    return allowed_actions(draft.status, is_admin=user.is_admin)


def media_url(settings: Settings, stored_name: str) -> str:
    """The public address the media blueprint serves an image at."""
    return f"{settings.base_url.rstrip('/')}/media/{stored_name}"


def draft_detail(draft: Draft, user: User, settings: Settings) -> dict[str, Any]:
    """Everything about a draft, including what each channel will get."""
    session = object_session(draft)
    data = draft_summary(draft)
    data.update({
        "body": draft.body,
        "body_html": render_markdown(draft.body),
        "link": draft.link,
        "event_start": draft.event_start,
        "event_end": draft.event_end,
        "venue": draft.venue,
        "address": draft.address,
        "price": draft.price,
        "ticket_url": draft.ticket_url,
        "audience": draft.audience,
        "content_hash": draft.content_hash,
        "author": draft.author.username if draft.author else None,
        "variants": {v.channel: v.text for v in draft.variants},
        "channel_text": {c: channel_text(draft, c) for c in draft.channels or []},
        "media": [
            {"id": m.id, "url": media_url(settings, m.stored_name), "mime_type": m.mime_type,
             "width": m.width, "height": m.height, "alt_text": m.alt_text}
            for m in draft.media
        ],
        "allowed_actions": actions_for(user, draft),
        "deliveries": [delivery(d, user) for d in deliveries_of(session, draft)] if session else [],
    })
    return data


def delivery(row: Delivery, user: User | None = None) -> dict[str, Any]:
    """A delivery's state, tries, last error and where it ended up."""
    return {
        "id": row.id, "draft_id": row.draft_id, "account_id": row.account_id,
        "channel": row.channel, "account": row.account.name,
        "status": row.status, "due_at": row.due_at, "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at, "last_error": row.last_error,
        "held_reason": row.held_reason,
        "error_kind": reason_kind(row.last_error).value if row.last_error else "",
        "problem": delivery_problem(row), "external_id": row.external_id,
        "external_url": row.external_url, "published_at": row.published_at,
        "allowed_actions": delivery_actions(row, user) if user is not None else [],
    }


def delivery_actions(row: Delivery, user: User) -> list[str]:
    """What `user` may do to the delivery now."""
    if not user.may_edit(row.draft):
        return []
    if row.status in (DeliveryStatus.FAILED, DeliveryStatus.HELD):
        return ["retry"]
    if not_started(row):
        return ["cancel"]
    return []


def attempt(row: Attempt) -> dict[str, Any]:
    return {"id": row.id, "action": row.action, "worker": row.worker,
            "started_at": row.started_at, "finished_at": row.finished_at,
            "outcome": row.outcome, "error": row.error,
            "error_text": reason_text(row.error, lang()) if row.error else "",
            "detail": row.detail}


def account(row: ChannelAccount) -> dict[str, Any]:
    """A channel account without secrets: where it posts, its health and its settings."""
    return {"id": row.id, "platform": row.platform, "name": row.name,
            "external_id": row.external_id,
            "municipality": row.municipality.slug if row.municipality else None,
            "active": row.active, "health": row.health or "", "health_detail":
            row.health_detail or "", "checked_at": row.checked_at,
            "token_expires_at": row.token_expires_at, "options": dict(row.options or {})}


def approver(row: Approver) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "email": row.email, "role": row.role,
            "municipality": row.municipality.slug if row.municipality else None,
            "deputy_of": row.deputy_of_id, "away": row.away, "active": row.active}


def audit_event(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "at": event.at, "actor_type": event.actor_type,
            "actor_label": event.actor_label, "action": event.action,
            "version": event.version, "details": event.details or {}}
