"""Feeds out of the public record: Atom 1.0 and RSS 2.0 (feedgen), JSON Feed 1.1, and iCalendar
for events (icalendar) in the organisation's time zone with a VTIMEZONE, stable UIDs and SEQUENCE.

The faces pass in how to name things (`FeedContext`): item and feed URLs, titles, the language,
so nothing here knows about Flask.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event, Timezone

from publisher.flows.feeds.models import PublicItem

FORMATS = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}


@dataclass(frozen=True)
class FeedContext:
    """What a feed says about itself and how it links to items."""

    title: str
    description: str
    home_url: str
    self_url: str
    language: str
    zone: ZoneInfo
    author: str
    item_url: Callable[[PublicItem], str]
    image_url: Callable[[PublicItem], str | None]


@dataclass(frozen=True)
class Rendered:
    body: bytes
    mimetype: str
    etag: str  # strong: a hash of the exact bytes
    last_modified: datetime | None


def _tags(item: PublicItem) -> list[str]:
    names = item.facts.get("municipality_names", {})
    return [item.facts.get("initiative_name", item.initiative)] + [
        names.get(slug, slug) for slug in item.municipalities]


def _updated(items: Sequence[PublicItem], fallback: datetime) -> datetime:
    return max((i.updated_at for i in items), default=fallback)


def _feedgen(items: Sequence[PublicItem], ctx: FeedContext, now: datetime) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(ctx.self_url)
    fg.title(ctx.title)
    fg.subtitle(ctx.description)
    fg.author({"name": ctx.author})
    fg.link(href=ctx.home_url, rel="alternate")
    fg.link(href=ctx.self_url, rel="self")
    fg.language(ctx.language)
    fg.updated(_updated(items, now))
    for item in items:
        url = ctx.item_url(item)
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(item.title)
        entry.link(href=url, rel="alternate")
        entry.summary(item.summary or item.title)
        entry.content(item.body_html or item.summary, type="html")
        entry.published(item.published_at)
        entry.updated(item.updated_at)
        for tag in _tags(item):
            entry.category(term=tag)
    return fg


def atom(items: Sequence[PublicItem], ctx: FeedContext, now: datetime) -> bytes:
    return bytes(_feedgen(items, ctx, now).atom_str(pretty=False))


def rss(items: Sequence[PublicItem], ctx: FeedContext, now: datetime) -> bytes:
    return bytes(_feedgen(items, ctx, now).rss_str(pretty=False))


def json_feed(items: Sequence[PublicItem], ctx: FeedContext, now: datetime) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    entries = []
    for item in items:
        url = ctx.item_url(item)
        entry = {
            "id": url, "url": url, "title": item.title,
            "content_html": item.body_html or item.summary, "summary": item.summary,
            "date_published": item.published_at.isoformat(),
            "date_modified": item.updated_at.isoformat(), "tags": _tags(item),
        }
        image = ctx.image_url(item)
        if image:
            entry["image"] = image
        if item.facts.get("link"):
            entry["external_url"] = item.facts["link"]
        entries.append(entry)
    document = {
        "version": "https://jsonfeed.org/version/1.1", "title": ctx.title,
        "home_page_url": ctx.home_url, "feed_url": ctx.self_url,
        "description": ctx.description, "language": ctx.language,
        "authors": [{"name": ctx.author}], "items": entries,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _location(item: PublicItem) -> str:
    parts = [item.facts.get("venue", ""), item.facts.get("address", "")]
    return ", ".join(p for p in parts if p)


def ical(items: Sequence[PublicItem], ctx: FeedContext, now: datetime) -> bytes:
    """Events as iCalendar: local times with TZID and a VTIMEZONE, UID per item."""
    host = urlsplit(ctx.home_url).hostname or "publisher"
    zone_name = ctx.zone.key
    cal = Calendar()
    cal.add("prodid", f"-//{ctx.author}//Publisher//{ctx.language.upper()}")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", ctx.title)
    cal.add("x-wr-timezone", zone_name)
    events = [i for i in items if i.kind == "event" and i.event_start is not None]
    if events:
        first = min(e.event_start for e in events if e.event_start)
        last = max((e.event_end or e.event_start) for e in events if e.event_start)
        cal.add_component(Timezone.from_tzinfo(ctx.zone, tzid=zone_name,
                                               first_date=date(first.year, 1, 1),
                                               last_date=date(last.year + 1, 12, 31)))
    for item in events:
        assert item.event_start is not None
        event = Event()
        event.add("uid", f"public-item-{item.id}@{host}")
        event.add("dtstamp", item.updated_at)
        event.add("created", item.published_at)
        event.add("last-modified", item.updated_at)
        event.add("sequence", item.sequence)
        event.add("summary", item.title)
        event.add("dtstart", item.event_start.astimezone(ctx.zone))
        if item.event_end is not None:
            event.add("dtend", item.event_end.astimezone(ctx.zone))
        if item.summary:
            event.add("description", item.summary)
        if _location(item):
            event.add("location", _location(item))
        event.add("url", ctx.item_url(item))
        event.add("categories", _tags(item))
        cal.add_component(event)
    return cal.to_ical()


RENDERERS: dict[str, Callable[[Sequence[PublicItem], FeedContext, datetime], bytes]] = {
    "atom": atom, "rss": rss, "json": json_feed, "ics": ical,
}


def render(fmt: str, items: Sequence[PublicItem], ctx: FeedContext, now: datetime,
           last_modified: datetime | None) -> Rendered:
    """The feed in `fmt` with its validators."""
    body = RENDERERS[fmt](items, ctx, now)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Rendered(body, FORMATS[fmt], etag, last_modified)
