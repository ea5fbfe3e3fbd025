"""The one backoff: exponential from the base, capped, jittered into [half, all]."""

from __future__ import annotations

import pytest

from taskqueue import RetryPolicy, backoff_s


@pytest.mark.parametrize(("failures", "expected"), [(1, 0.1), (2, 0.2), (3, 0.4), (9, 25.6)])
def test_backoff_doubles_from_the_base_after_each_failure(failures: int, expected: float) -> None:
    assert backoff_s(failures, base_s=0.1, max_s=30.0) == pytest.approx(expected)


def test_backoff_stops_growing_at_its_cap() -> None:
    assert backoff_s(10, base_s=0.1, max_s=30.0) == 30.0
    assert backoff_s(60, base_s=1.0, max_s=60.0) == 60.0


@pytest.mark.parametrize(("unit_random", "expected"), [(0.0, 2.0), (0.5, 3.0), (1.0, 4.0)])
def test_jitter_keeps_between_half_and_all_of_the_step(
    unit_random: float, expected: float
) -> None:
    assert backoff_s(3, base_s=1.0, max_s=60.0, unit_random=unit_random) == expected


def test_a_task_retry_waits_by_the_same_backoff() -> None:
    policy = RetryPolicy(base_s=1.0, max_s=60.0)
    assert [policy.delay(attempt, 0.0) for attempt in (1, 2, 3, 8)] == [0.5, 1.0, 2.0, 30.0]
