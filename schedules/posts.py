"""Turning a delivery into the `Post` its adapter publishes, and adapters from channel accounts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from channels.base import Account, Adapter, ChannelSettings, MediaItem, Post
from channels.registry import CHANNELS
from drafts.content import channel_text, render_markdown
from drafts.models import ChannelAccount, Media
from schedules.models import Delivery

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


def registry_factory(
    channel_settings: Mapping[str, ChannelSettings],
    credentials: Callable[[str], dict[str, str]],
) -> AdapterFactory:
    """An adapter factory over channels.registry: settings per platform, credentials by prefix.

    `credentials(prefix)` resolves an account's `credentials_env` (publisher.config has
    `account_credentials` for that); it is called for every delivery, so a reconnected account
    is picked up without restarting the worker.
    """

    def factory(account: ChannelAccount) -> Adapter:
        adapter_class = CHANNELS[account.platform]
        resolved = Account(
            platform=account.platform,
            name=account.name,
            external_id=account.external_id,
            credentials=credentials(account.credentials_env) if account.credentials_env else {},
            options=dict(account.options or {}),
        )
        return adapter_class(resolved, channel_settings[account.platform])

    return factory
