"""The suite's hypothesis profile: a property test never fails for being slow, since the
machine that runs the suite may be loaded."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# A quarter of a second per example: past the default deadline (200 ms), and five draws
# of it past the default too_slow limit (1 s), as a loaded machine can make any test.
SLOW_S = 0.25


def slowly_drawn(n: int) -> int:
    time.sleep(SLOW_S)
    return n


def test_the_suites_profile_has_no_deadline_and_no_too_slow_check() -> None:
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check


# Generation only: a failure here is not worth minutes of shrinking.
@settings(max_examples=5, database=None, phases=[Phase.generate])
@given(st.integers().map(slowly_drawn))
def test_a_property_test_on_a_slow_machine_still_passes(n: int) -> None:
    time.sleep(SLOW_S)
    assert isinstance(n, int)
