"""Retry backoff: exponential, capped, with jitter so retries of many tasks spread out."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetryPolicy(BaseModel):
    """Delay before attempt n+1 after attempt n failed: base · 2^(n-1), capped, jittered."""

    base_s: float = Field(default=1.0, ge=0)
    max_s: float = Field(default=60.0, ge=0)

    def delay(self, attempt: int, unit_random: float) -> float:
        """`unit_random` in [0, 1): the delay lies in [half, all] of the exponential step."""
        step = min(self.max_s, self.base_s * 2.0 ** max(0, attempt - 1))
        return step * (0.5 + unit_random / 2)
