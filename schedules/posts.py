"""Turning a delivery into the `Post` its adapter publishes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from channels.base import Adapter, MediaItem, Post
from drafts.content import channel_text, render_markdown
from drafts.models import ChannelAccount, Media
from schedules.models import Delivery

# Builds the adapter for a channel account (publisher.flows.accounts.adapter_factory).
AdapterFactory = Callable[[ChannelAccount], Adapter]


def media_item(media: Media, public_base_url: str, upload_dir: str = "") -> MediaItem:
    """An image as the platform sees it: our public URL, plus the local file when we have it."""
    path = Path(upload_dir) / media.stored_name if upload_dir else None
    return MediaItem(
        url=f"{public_base_url.rstrip('/')}/media/{media.stored_name}",
        path=str(path) if path is not None and path.is_file() else None,
        mime_type=media.mime_type,
        width=media.width,
        height=media.height,
        size_bytes=media.size_bytes,
        alt_text=media.alt_text,
    )


def build_post(
    delivery: Delivery, *, public_base_url: str, upload_dir: str = "",
    created_after: datetime | None = None,
) -> Post:
    """Everything the delivery's channel needs, with the ids earlier tries persisted."""
    draft = delivery.draft
    municipalities = list(draft.municipalities)
    initiative = draft.initiative
    return Post(
        marker=delivery.marker,
        text=channel_text(draft, delivery.channel),
        title=draft.title,
        link=draft.link or None,
        html=render_markdown(draft.body),
        media=[media_item(m, public_base_url, upload_dir) for m in draft.media],
        kind=draft.kind,
        municipalities=[m.slug for m in municipalities],
        municipality_names=[m.name for m in municipalities],
        initiative=initiative.slug if initiative else None,
        initiative_name=initiative.name if initiative else None,
        scheduled_at=delivery.due_at,
        created_after=created_after or delivery.due_at,
        state=dict(delivery.state or {}),
    )
