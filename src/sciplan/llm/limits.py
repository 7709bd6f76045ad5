"""Per-model concurrency and rate limits (requests and tokens per minute)."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable

__all__ = ["TokenBucket", "Limiter"]


class TokenBucket:
    """A token bucket that hands out reservations and may go into debt.

    `reserve(n)` takes `n` units at once and returns how long the caller must wait
    before using them. Callers queue up in order without polling, and one request
    larger than the bucket (a long prompt) still passes, after a proportional wait.
    Thread-safe and independent of any event loop.
    """

    def __init__(self, per_minute: float, *, burst_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_seconds)
        self._clock = clock
        self._level = self.capacity
        self._t = clock()
        self._lock = threading.Lock()

    def reserve(self, amount: float) -> float:
        """Take `amount` units; return seconds to wait before they are really available."""
        with self._lock:
            now = self._clock()
            self._level = min(self.capacity, self._level + (now - self._t) * self.rate)
            self._t = now
            self._level -= amount
            return 0.0 if self._level >= 0 else -self._level / self.rate

    def refund(self, amount: float) -> None:
        """Give back units that were reserved but not used (or take more if negative)."""
        with self._lock:
            self._level = min(self.capacity, self._level + amount)


class Limiter:
    """Concurrency plus request and token rates for one model, shared by all its callers.

    The semaphore is made per event loop (asyncio primitives belong to one loop, and
    TRL runs async reward functions on a loop of its own); the buckets are shared.
    """

    def __init__(
        self,
        max_concurrency: int,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.requests = TokenBucket(requests_per_minute, clock=clock) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute, clock=clock) if tokens_per_minute else None
        self._sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def semaphore(self) -> asyncio.Semaphore:
        """The concurrency semaphore of the running event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            sem = self._sems.get(loop)
            if sem is None:
                sem = self._sems[loop] = asyncio.Semaphore(self.max_concurrency)
            return sem

    async def wait_for_rate(self, estimated_tokens: int) -> None:
        """Sleep until one more request of about `estimated_tokens` fits the rate limits."""
        delay = 0.0
        if self.requests is not None:
            delay = max(delay, self.requests.reserve(1))
        if self.tokens is not None:
            delay = max(delay, self.tokens.reserve(estimated_tokens))
        if delay > 0:
            await asyncio.sleep(delay)

    def settle_tokens(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Correct the token bucket once the real usage of a request is known."""
        if self.tokens is not None:
            self.tokens.refund(estimated_tokens - actual_tokens)
