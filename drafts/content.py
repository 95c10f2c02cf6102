"""What a draft will publish: sanitised HTML, per-channel text, and the content hash over it all."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt

from drafts.models import Draft

_md = MarkdownIt("commonmark", {"linkify": False, "html": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
    "code", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> str:
    """Render Markdown to HTML with only safe tags and http(s)/mailto links."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_text(markdown: str) -> str:
    """The body as plain text for social channels: Markdown syntax removed, links kept."""
    html = _md.render(markdown or "")
    html = re.sub(r'<a href="([^"]+)">([^<]*)</a>', lambda m: _link_text(m[2], m[1]), html)
    html = re.sub(r"<li>\s*(<p>)?", "• ", html)
    html = re.sub(r"</(p|h[1-6]|li|blockquote|pre)>", "\n", html)
    text = nh3.clean(html, tags=set())
    text = (
        text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&quot;", '"').replace("&#39;", "'")
    )
    text = re.sub(r"\n(\n)+(?=• )", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _link_text(label: str, href: str) -> str:
    return href if label == href else f"{label} ({href})"


def channel_text(draft: Draft, channel: str) -> str:
    """The exact text `channel` will get: its variant if any, else title + body + link."""
    variant = draft.variant_text(channel)
    if variant is not None and variant.strip():
        return variant.strip()
    parts = [draft.title.strip(), plain_text(draft.body)]
    if draft.link and draft.link not in parts[1]:
        parts.append(draft.link)
    return "\n\n".join(p for p in parts if p)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def content_fields(draft: Draft) -> dict[str, Any]:
    """Everything that will be published, in a canonical form."""
    return {
        "kind": draft.kind,
        "title": draft.title,
        "body": draft.body,
        "link": draft.link,
        "initiative": draft.initiative.slug if draft.initiative else None,
        "municipalities": sorted(m.slug for m in draft.municipalities),
        "channels": sorted(draft.channels or []),
        "media": [[m.sha256, m.alt_text] for m in draft.media],
        "variants": {v.channel: v.text for v in draft.variants},
        "event": {
            "start": _iso(draft.event_start),
            "end": _iso(draft.event_end),
            "venue": draft.venue,
            "address": draft.address,
            "price": draft.price,
            "ticket_url": draft.ticket_url,
            "audience": draft.audience,
        },
    }


def content_hash(draft: Draft) -> str:
    """SHA-256 over everything that will be published (not the time it goes out)."""
    blob = json.dumps(content_fields(draft), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
