"""Per-channel previews: the exact text each channel gets and how it measures against the limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from channels import website
from channels.base import Post
from channels.registry import REGISTRY
from drafts.content import channel_text, render_markdown
from drafts.models import CHANNEL_NAMES, Draft, Variant


@dataclass(frozen=True)
class ChannelPreview:
    channel: str
    text: str
    length: int
    limit: int | None
    title: str = ""
    link: str = ""  # the link exactly as published ("" when it is inside the text)
    html: Markup | None = None  # the article / newsletter block as it goes out (sanitised)
    images: list[Any] = field(default_factory=list)  # the draft's Media rows, in order

    @property
    def domain(self) -> str:
        return urlsplit(self.link).hostname or ""

    @property
    def over(self) -> bool:
        return self.limit is not None and self.length > self.limit


def measure(channel: str, text: str) -> int:
    """The length of `text` as `channel` counts it (X counts weighted characters)."""
    return REGISTRY[channel].text.measure(text)


def previews(draft: Draft, channels: list[str] | None = None) -> list[ChannelPreview]:
    """Previews for `channels` (default: every channel), in the usual channel order."""
    wanted = CHANNEL_NAMES if channels is None else [c for c in CHANNEL_NAMES if c in channels]
    result = []
    images = list(draft.media or [])
    for channel in wanted:
        text = channel_text(draft, channel)
        html, link = None, ""
        if channel in ("website", "newsletter"):
            # The website's own render(): the formatted text ending with the post's link.
            post = Post(marker="preview", text=text, title=draft.title or "",
                        link=draft.link or None, html=render_markdown(draft.body or ""))
            html = Markup(website.render(post).html or "")  # sanitised body + escaped link
        elif draft.link and draft.link not in text:
            link = draft.link
        result.append(ChannelPreview(channel, text, measure(channel, text),
                                     REGISTRY[channel].text.limit, title=draft.title or "",
                                     link=link, html=html, images=images))
    return result


def unsaved_draft(values: dict[str, Any]) -> Draft:
    """A Draft that is never added to a session, built from raw form values, for previews."""
    variants = values.get("variants") or {}
    return Draft(
        title=str(values.get("title") or "").strip(),
        body=str(values.get("body") or "").replace("\r\n", "\n").strip(),
        link=str(values.get("link") or "").strip(),
        variants=[Variant(channel=c, text=str(t)) for c, t in variants.items()
                  if c in CHANNEL_NAMES and str(t or "").strip()],
    )
