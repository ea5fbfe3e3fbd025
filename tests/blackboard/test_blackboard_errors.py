"""The blackboard's errors share swarm's one exception root."""

from __future__ import annotations

import pickle

import pytest

from blackboard import BlackboardError, BlackboardFileNotFound, PathOutsideSession
from taskqueue import SwarmError


def test_blackboard_error_is_a_swarm_error() -> None:
    assert issubclass(BlackboardError, SwarmError)


@pytest.mark.parametrize("error", [
    BlackboardFileNotFound("notes.md", "s1"),
    PathOutsideSession("../x", "s1", "it leaves the session"),
])
def test_blackboard_error_is_caught_as_a_swarm_error_and_still_pickles(
    error: BlackboardError,
) -> None:
    with pytest.raises(SwarmError) as caught:
        raise error

    assert str(pickle.loads(pickle.dumps(caught.value))) == str(error)
