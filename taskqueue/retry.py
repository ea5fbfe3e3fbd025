"""Retry backoff: exponential, capped, with jitter so retries of many tasks spread out.

`backoff_s` is the one backoff of swarm: a failed task's retry, a model request's retry
and the supervisor's restart of a crashing worker all wait by it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


def backoff_s(failures: int, base_s: float, max_s: float, unit_random: float = 1.0) -> float:
    """The pause after the `failures`-th failure in a row (1-based): base · 2^(failures-1),
    capped at `max_s`, then scaled into [half, all] of that by `unit_random` in [0, 1].

    Drawing `unit_random` at random spreads out the retries of processes that failed
    together; the default, 1.0, is the whole step, without jitter.
    """
    step = min(max_s, base_s * 2.0 ** max(0, failures - 1))
    return step * (0.5 + unit_random / 2)


class RetryPolicy(BaseModel):
    """Delay before attempt n+1 after attempt n failed: `backoff_s` of n, jittered."""

    base_s: float = Field(default=1.0, ge=0)
    max_s: float = Field(default=60.0, ge=0)

    def delay(self, attempt: int, unit_random: float) -> float:
        """`unit_random` in [0, 1): the delay lies in [half, all] of the exponential step."""
        return backoff_s(attempt, self.base_s, self.max_s, unit_random)
