"""Channel accounts → adapters: the one adapter factory, and health checks.

The service, the worker, the tests and the benchmarks all build adapters here: the base URL is
the account's own (`options["base_url"]`) or its platform's setting (named in the channel's row
in channels/registry.py), and credentials are read afresh for every adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from channels.base import Account, Adapter, ChannelError, ChannelSettings
from channels.registry import REGISTRY
from drafts.models import ChannelAccount
from publisher.config import Settings, account_credentials
from schedules.posts import AdapterFactory

Credentials = Callable[[str], dict[str, str]]


def channel_settings(settings: Settings, row: ChannelAccount) -> ChannelSettings:
    """Process-wide settings for the row's platform; an account may name its own base URL."""
    options = dict(row.options or {})
    base = options.pop("base_url", None) or getattr(
        settings, REGISTRY[row.platform].base_url_setting)
    if settings.demo_mode:  # the demo's images live on 127.0.0.1, which the sandbox can fetch
        options.setdefault("allow_private_media_urls", True)
    return ChannelSettings(
        base_url=str(base),
        timeout=settings.channel_timeout,
        graph_version=settings.graph_version,
        public_base_url=settings.base_url,
        options=options,
    )


def build_adapter(settings: Settings, row: ChannelAccount,
                  credentials: Credentials = account_credentials) -> Adapter:
    """An adapter for one configured account, with its credentials resolved."""
    account = Account(
        platform=row.platform,
        name=row.name,
        external_id=row.external_id,
        credentials=credentials(row.credentials_env) if row.credentials_env else {},
        options=dict(row.options or {}),
    )
    return REGISTRY[row.platform].adapter(account, channel_settings(settings, row))


def adapter_factory(settings: Settings,
                    credentials: Credentials = account_credentials) -> AdapterFactory:
    """Adapters for channel-account rows, credentials read afresh for every delivery (so a
    reconnected account is picked up without restarting the worker)."""
    return lambda row: build_adapter(settings, row, credentials)


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
