"""Which visits to a tracked link count as a click: not a bot that says it is one, and not the
same client following the same link again within a short window.

Nothing personal is stored: a repeat is recognised by a keyed hash of (link, address, user
agent) kept in this process's memory for the window only, never in the database or a cookie.
With several web processes a repeat that lands on another process counts once more there: the
filter takes the loop out of the count, not every repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|fetch|scan|monitor|headless|python-|curl/|wget/|"
    r"httpclient|okhttp|go-http|java/|libwww|facebookexternalhit|embedly|whatsapp|"
    r"skypeuripreview|bitlybot|mediapartners", re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """True for a client that announces itself as automated (or announces nothing)."""
    return not user_agent.strip() or bool(BOT.search(user_agent))


class RepeatFilter:
    """Remembers (as keyed hashes) who followed which link in the last `window` seconds."""

    def __init__(self, window: float = 30.0, capacity: int = 50_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.capacity, self.clock = window, capacity, clock
        self._key = secrets.token_bytes(32)  # per process: the hashes mean nothing elsewhere
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, code: str, address: str, user_agent: str) -> bool:
        """True unless this client followed this link within the window."""
        digest = hmac.new(self._key, f"{code}\0{address}\0{user_agent}".encode(),
                          hashlib.sha256).digest()[:16]
        now = self.clock()
        with self._lock:
            while self._seen and (len(self._seen) >= self.capacity
                                  or next(iter(self._seen.values())) <= now - self.window):
                self._seen.popitem(last=False)
            seen = self._seen.pop(digest, None)
            self._seen[digest] = now
        return seen is None or seen <= now - self.window


def counts(filter_: RepeatFilter, code: str, address: str, user_agent: str) -> bool:
    """Whether this visit counts as a click."""
    return not is_bot(user_agent) and filter_.first_time(code, address, user_agent)
