"""When to try again: exponential backoff with full jitter, never sooner than the platform asks."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int, base: float, cap: float, retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before try `attempt + 1`: uniform(0, min(cap, base·2^(attempt-1))), ≥ retry_after.

    Full jitter spreads the retries of many deliveries that failed together (a platform outage)
    instead of sending them back in one wave; Retry-After and usage headers set the floor.
    """
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    delay = (rng or random).uniform(0, ceiling)
    return max(delay, retry_after or 0.0)
