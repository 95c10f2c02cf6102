"""One row per channel: everything the rest of the service needs to know about a platform.

Preview, validation, the admin forms, the settings and the sandbox wiring read these rows instead
of re-typing a platform's name, label, limits or base-URL setting. A channel's text and media
rules live on its adapter class (next to the code that checks them); the row hands out those
same objects, so what the compose preview shows is what the adapter checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.base import Adapter, MediaRules, TextRules
from channels.facebook import FacebookAdapter
from channels.instagram import InstagramAdapter
from channels.newsletter import NewsletterAdapter
from channels.website import WebsiteAdapter
from channels.x import XAdapter


def N_(message: str) -> str:
    """Mark a label for translation without translating it here (the service translates it)."""
    return message


@dataclass(frozen=True)
class Channel:
    """One platform: its adapter, label, rules and where its API lives."""

    name: str
    adapter: type[Adapter]
    label_key: str  # the English msgid; publisher/ shows it through its catalogues
    base_url_setting: str  # the Settings field (PUBLISHER_<NAME>) holding the API base URL
    sandbox_prefix: str  # where the sandbox serves this platform's API
    rich: bool = False  # publishes the title and the formatted text (not only plain text)
    long_label_key: str = ""  # the label where the platform's product matters (admin forms)

    @property
    def long_label(self) -> str:
        return self.long_label_key or self.label_key

    @property
    def text(self) -> TextRules:
        return self.adapter.text_rules

    @property
    def media(self) -> MediaRules:
        return self.adapter.media_rules

    @property
    def env_name(self) -> str:
        """The environment variable that sets the base URL."""
        return f"PUBLISHER_{self.base_url_setting.upper()}"


REGISTRY: dict[str, Channel] = {row.name: row for row in (
    Channel("facebook", FacebookAdapter, N_("Facebook"), "facebook_graph_url", "/facebook"),
    Channel("instagram", InstagramAdapter, N_("Instagram"), "instagram_graph_url",
            "/instagram"),
    Channel("website", WebsiteAdapter, N_("Website"), "wordpress_url", "/wordpress",
            rich=True),
    Channel("newsletter", NewsletterAdapter, N_("Newsletter"), "mailchimp_api_url",
            "/mailchimp/3.0", rich=True, long_label_key=N_("Newsletter (Mailchimp)")),
    Channel("x", XAdapter, N_("X"), "x_api_url", "/x"),
)}

# Platform name → adapter class, read from the rows.
CHANNELS: dict[str, type[Adapter]] = {name: row.adapter for name, row in REGISTRY.items()}
