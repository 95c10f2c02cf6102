"""The knobs of the dispatcher and the worker, with defaults that suit one small organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class ScheduleSettings:
    """Settings for dispatching deliveries; times are in seconds."""

    public_base_url: str = "http://127.0.0.1:5000"  # where platforms fetch our media from
    upload_dir: str = ""  # local media files, for adapters that upload bytes
    max_attempts: int = 8  # publish calls before a retryable error becomes `failed`
    backoff_base: float = 30.0  # full-jitter backoff: uniform(0, min(cap, base·2^(n-1)))
    backoff_cap: float = 3600.0
    unconfirmed_delay: float = 10.0  # wait before reconciling an unknown outcome
    max_lateness: float = 3600.0  # later than this on its first try → held for a person
    lease_seconds: float = 60.0  # renewed by the worker's heartbeat every third of it
    tick_seconds: float = 1.0
    refill_seconds: float = 0.02  # after a run finishes, wait ≤ this for more before claiming
    pool_size: int = 8  # platform calls in flight per worker process
    account_concurrency: int = 2  # calls in flight per channel account per worker
    account_rate: float = 2.0  # calls per second per channel account (token bucket)
    account_burst: int = 5
    grace_seconds: float = 30.0  # on SIGTERM: how long in-flight work may take to finish
    leader_interval: float = 30.0  # how often the leader-only jobs run
    leader_ttl: float = 90.0  # SQLite leader lease; another worker takes over after this
    token_warning_days: float = 7.0  # warn this long before a channel token expires
    account_failing_after: int = 3  # permanent account errors in a row before it is "failing"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None = None) -> ScheduleSettings:
        """Build settings from a dict; an unknown name is an error, not silently ignored."""
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown schedule settings: {', '.join(unknown)}")
        typed = {name: type(getattr(cls, name))(value) for name, value in values.items()}
        return cls(**typed)

    @property
    def lateness(self) -> timedelta:
        return timedelta(seconds=self.max_lateness)
