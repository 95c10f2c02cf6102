"""The explicit registry of channel kinds: platform name → adapter class."""

from __future__ import annotations

from channels.base import Adapter
from channels.facebook import FacebookAdapter
from channels.instagram import InstagramAdapter
from channels.newsletter import NewsletterAdapter
from channels.website import WebsiteAdapter
from channels.x import XAdapter

CHANNELS: dict[str, type[Adapter]] = {
    "facebook": FacebookAdapter,
    "instagram": InstagramAdapter,
    "website": WebsiteAdapter,
    "newsletter": NewsletterAdapter,
    "x": XAdapter,
}
