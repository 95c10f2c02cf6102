"""Channel accounts → adapters: settings, credentials from the environment, health checks."""

from __future__ import annotations

from datetime import datetime

from channels.base import Account, Adapter, ChannelError, ChannelSettings
from channels.registry import CHANNELS
from drafts.models import ChannelAccount
from publisher.config import Settings, account_credentials

# Which setting holds each platform's API base URL.
BASE_URL_SETTING = {
    "facebook": "facebook_graph_url",
    "instagram": "instagram_graph_url",
    "website": "wordpress_url",
    "newsletter": "mailchimp_api_url",
    "x": "x_api_url",
}


def channel_settings(settings: Settings, row: ChannelAccount) -> ChannelSettings:
    """Process-wide settings for the row's platform; an account may name its own base URL."""
    options = dict(row.options or {})
    base = options.pop("base_url", None) or getattr(settings, BASE_URL_SETTING[row.platform])
    if settings.demo_mode:  # the demo's images live on 127.0.0.1, which the sandbox can fetch
        options.setdefault("allow_private_media_urls", True)
    return ChannelSettings(
        base_url=str(base),
        timeout=settings.channel_timeout,
        graph_version=settings.graph_version,
        public_base_url=settings.base_url,
        options=options,
    )


def build_adapter(settings: Settings, row: ChannelAccount) -> Adapter:
    """An adapter for one configured account, with its credentials resolved."""
    account = Account(
        platform=row.platform,
        name=row.name,
        external_id=row.external_id,
        credentials=account_credentials(row.credentials_env) if row.credentials_env else {},
        options=dict(row.options or {}),
    )
    return CHANNELS[row.platform](account, channel_settings(settings, row))


def check_connection(settings: Settings, row: ChannelAccount, now: datetime) -> bool:
    """Ask the platform whether the account works; store the answer on the row."""
    try:
        detail = build_adapter(settings, row).test_connection()
        row.health, row.health_detail = "ok", detail[:500]
    except ChannelError as exc:
        row.health = "failing"
        row.health_detail = f"{exc.reason}: {exc.detail}"[:500]
    row.checked_at = now
    return row.health == "ok"
