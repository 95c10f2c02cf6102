"""Shared machinery of the sandbox: state, fault knobs, and the accept-then-fail helper.

State lives in memory behind one lock (the sandbox is one process); it survives for the life of
the server, which is what the tests and the demo need. Faults are set per run (`Faults.set`, from
the command line or `POST /_sandbox/faults`) and can be limited to a number of matching calls,
which is how a test injects a fault into "the next publish" only.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# The sandbox's clock. Insight numbers grow with the time since publication; freezing the clock
# (POST /_sandbox/clock) holds them still, so a test can read the sandbox's own figures and then
# check that the service collected exactly those.
_frozen_at: list[float | None] = [None]


def freeze_clock(at: float | None) -> None:
    """Hold the sandbox's clock at `at` (a Unix time), or let it run again with None."""
    _frozen_at[0] = at


def frozen_at() -> float | None:
    return _frozen_at[0]


def now_ts() -> float:
    """The sandbox's current Unix time: the frozen time if the clock is held."""
    frozen = _frozen_at[0]
    return time.time() if frozen is None else frozen


def utcnow() -> datetime:
    return datetime.fromtimestamp(now_ts(), UTC)


@dataclass
class FaultRule:
    """One knob: which calls it hits (platform, operation) and what it does to them.

    kind: "error" (answer with the platform's error for `code`), "accept_then_timeout" (commit,
    then stall past the client's timeout), "accept_then_drop" (commit, then close the
    connection), "accept_then_500" (commit, then answer with a server error), "latency" (sleep
    `seconds` then answer normally), "rate_limit" (the platform's 429/limit answer with reset
    headers), "expired_token".
    """

    platform: str = "*"
    op: str = "*"  # e.g. "publish", "create", "read", "insights", or "*"
    kind: str = "error"
    code: str = ""  # platform-specific error selector, e.g. "190/463", "2207042", "500"
    rate: float = 1.0  # probability per matching call
    remaining: int | None = None  # None = unlimited
    seconds: float = 0.0  # latency / stall duration
    id: int = 0

    def matches(self, platform: str, op: str) -> bool:
        return self.platform in ("*", platform) and self.op in ("*", op)


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    latency: float = 0.0  # base latency for every platform call (seconds)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    rng: random.Random = field(default_factory=random.Random)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = next(self._ids)
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.latency = 0.0

    def remove(self, rule_id: int) -> bool:
        """Remove the rule with this id; return whether there was one."""
        with self._lock:
            kept = [r for r in self.rules if r.id != rule_id]
            found = len(kept) != len(self.rules)
            self.rules[:] = kept
        return found

    def pick(self, platform: str, op: str) -> FaultRule | None:
        """Return the first rule that fires for this call, consuming one of its uses."""
        with self._lock:
            for rule in self.rules:
                if not rule.matches(platform, op) or rule.remaining == 0:
                    continue
                if rule.rate < 1.0 and self.rng.random() >= rule.rate:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(vars(r)) for r in self.rules]


class Store:
    """Everything the sandbox platforms hold, keyed by platform then collection."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.data: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._ids = itertools.count(int(time.time()) * 1000)

    def new_id(self) -> str:
        with self.lock:
            return str(next(self._ids))

    def collection(self, platform: str, name: str) -> dict[str, dict[str, Any]]:
        with self.lock:
            return self.data.setdefault(platform, {}).setdefault(name, {})

    def reset(self) -> None:
        with self.lock:
            self.data.clear()


def sleep_past_timeout(seconds: float) -> None:
    """Stall an answer (accept-then-timeout); the client gives up first."""
    time.sleep(seconds)


class DroppedConnection(Exception):
    """Raised after the socket was shut down, so the server writes no answer."""


def drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection without an answer (accept-then-drop)."""
    import socket

    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise DroppedConnection()


def fail_after_commit(rule: FaultRule, environ: dict[str, Any]) -> None:
    """Apply an accept-then-timeout or accept-then-drop rule once the write is committed.

    accept_then_timeout stalls `rule.seconds` (default 30 s) and then lets the handler answer
    normally, by which time the client has given up; accept_then_drop closes the connection.
    accept_then_500 is the platform module's own business (each has its own 500 body).
    """
    if rule.kind == "accept_then_timeout":
        sleep_past_timeout(rule.seconds or 30.0)
    elif rule.kind == "accept_then_drop":
        drop_connection(environ)
