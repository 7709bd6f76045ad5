"""`ServiceMetrics`: what /metrics reports: requests, grades, failures, latency, grader tokens."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from sciplan.grade import RewardParts
from sciplan.llm import Ledger

__all__ = ["ServiceMetrics", "percentile"]


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


class ServiceMetrics:
    """Counters of one service process (each replica reports its own)."""

    def __init__(self, latency_window: int = 10_000) -> None:
        self.requests: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self.grades = 0
        self.failed_grades = 0
        self.deadline_exceeded = 0
        self.latencies: deque[float] = deque(maxlen=latency_window)

    def observe(self, endpoint: str, seconds: float, parts: list[RewardParts]) -> None:
        """One answered grading request."""
        self.requests[endpoint] += 1
        self.latencies.append(seconds)
        self.grades += len(parts)
        self.failed_grades += sum(p.failed for p in parts)

    def error(self, endpoint: str, status: int) -> None:
        """One request answered with an error status."""
        self.requests[endpoint] += 1
        self.errors[status] += 1
        if status == 504:
            self.deadline_exceeded += 1

    def snapshot(self, ledger: Ledger, grader: str, *, queued: int, groups: int) -> dict[str, Any]:
        """The JSON body of /metrics."""
        lat = list(self.latencies)
        rows = [r for r in ledger.rows() if r.model == grader]
        usage = {"calls": sum(r.calls for r in rows), "cache_hits": sum(r.cache_hits for r in rows),
                 "failures": sum(r.failures for r in rows),
                 "prompt_tokens": sum(r.usage.prompt_tokens for r in rows),
                 "completion_tokens": sum(r.usage.completion_tokens for r in rows),
                 "cached_prompt_tokens": sum(r.usage.cached_prompt_tokens or 0 for r in rows)}
        return {
            "requests": dict(self.requests), "errors": {str(k): v for k, v in self.errors.items()},
            "grades": self.grades, "failed_grades": self.failed_grades, "deadline_exceeded": self.deadline_exceeded,
            "groups_graded": groups, "queued": queued,
            "latency_seconds": {"count": len(lat), "p50": percentile(lat, 50), "p90": percentile(lat, 90),
                                "p99": percentile(lat, 99)},
            "grader": {"model": grader, **usage},
        }
