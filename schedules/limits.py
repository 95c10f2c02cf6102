"""How much a worker may do at once: per-account concurrency and rate, and a bounded pool.

The worker asks `free()` before it claims, so it never claims more than it can start at once:
a claimed delivery waits for a thread, not for a semaphore, and shutdown can hand back the few
that never started. Both limits are per worker process; with N workers an account sees up to
N × the concurrency, which is why the defaults are small.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; time comes from `clock`."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self.tokens = float(self.burst)
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def available(self) -> int:
        """Whole tokens that may be taken now."""
        self._refill()
        return math.floor(self.tokens)

    def take(self, n: int = 1) -> bool:
        """Take `n` tokens if there are that many."""
        self._refill()
        if self.tokens < n:
            return False
        self.tokens -= n
        return True


class AccountLimits:
    """Per channel account: calls in flight (a counting semaphore) and calls per second."""

    def __init__(self, concurrency: int, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.concurrency = concurrency
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[int, int] = {}
        self._buckets: dict[int, TokenBucket] = {}

    def _bucket(self, account_id: int) -> TokenBucket:
        if account_id not in self._buckets:
            self._buckets[account_id] = TokenBucket(self.rate, self.burst, self.clock)
        return self._buckets[account_id]

    def free(self, account_id: int) -> int:
        """How many more calls for this account may start now."""
        with self._lock:
            slots = self.concurrency - self._in_flight.get(account_id, 0)
            return max(0, min(slots, self._bucket(account_id).available()))

    def capacity(self) -> dict[int, int]:
        """Free room for every account seen so far (unseen accounts have the default)."""
        with self._lock:
            known = list(set(self._in_flight) | set(self._buckets))
        return {account_id: self.free(account_id) for account_id in known}

    def default_capacity(self) -> int:
        return min(self.concurrency, self.burst)

    def acquire(self, account_id: int) -> None:
        """Count a call as started (after a claim that `free` allowed)."""
        with self._lock:
            self._in_flight[account_id] = self._in_flight.get(account_id, 0) + 1
            self._bucket(account_id).take()

    def release(self, account_id: int) -> None:
        with self._lock:
            self._in_flight[account_id] = max(0, self._in_flight.get(account_id, 0) - 1)


class BoundedPool:
    """A thread pool that says how many more tasks it can run without queueing."""

    def __init__(self, size: int, name: str = "publisher-delivery") -> None:
        self.size = size
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._busy = 0

    def free(self) -> int:
        with self._lock:
            return self.size - self._busy

    def busy(self) -> int:
        with self._lock:
            return self._busy

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        with self._lock:
            self._busy += 1
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._done()
            raise
        future.add_done_callback(lambda _f: self._done())
        return future

    def _done(self) -> None:
        with self._lock:
            self._busy -= 1

    def shutdown(self, wait: bool) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=False)
