"""Serving feeds: pick the items, render once per change of the public record, answer 304s.

`FeedCache` keeps each rendered feed with the generation of the public record it was made
from; one small query (`items.generation`) tells whether it still holds. Several web workers
each keep their own cache and agree on the bytes, so the ETag is the same from every worker.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from publisher.flows.feeds.filters import Filter
from publisher.flows.feeds.formats import FeedContext, Rendered, render
from publisher.flows.feeds.items import generation, live_items
from publisher.flows.feeds.models import PublicItem

FEED_LENGTH = 50  # newest items in Atom, RSS and JSON Feed
CALENDAR_LENGTH = 500  # events in an iCalendar feed
Generation = tuple[datetime | None, int]


class FeedCache:
    """Rendered feeds by key, each valid for one generation of the public record."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[Generation, Rendered]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, gen: Generation) -> Rendered | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != gen:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: str, gen: Generation, rendered: Rendered) -> None:
        with self._lock:
            self._entries[key] = (gen, rendered)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def select_items(session: Session, fmt: str, wanted: Filter, now: datetime) -> list[PublicItem]:
    """The items a feed in `fmt` with filter `wanted` holds."""
    if fmt == "ics":
        kinds: tuple[str, ...] = ("event",)
        limit = CALENDAR_LENGTH
    else:
        kinds = wanted.kinds
        limit = FEED_LENGTH
    found = [i for i in live_items(session, kinds=kinds) if wanted.matches(i, now)]
    if fmt == "ics":
        found.sort(key=lambda i: (i.event_start or now, i.id), reverse=True)
    return found[:limit]


def feed(session: Session, fmt: str, wanted: Filter, context: Callable[[], FeedContext],
         now: datetime, cache: FeedCache | None, cache_key: str = "") -> Rendered:
    """The feed, from the cache while the public record has not changed."""
    gen = generation(session)
    key = f"{fmt}|{wanted.key()}|{cache_key}"
    if cache is not None and not wanted.upcoming:  # "upcoming" changes with the clock
        hit = cache.get(key, gen)
        if hit is not None:
            return hit
    items = select_items(session, fmt, wanted, now)
    rendered = render(fmt, items, context(), now, gen[0])
    if cache is not None and not wanted.upcoming:
        cache.put(key, gen, rendered)
    return rendered
