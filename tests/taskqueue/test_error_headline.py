"""The line of a recorded error that the CLI, the dashboard and the report show."""

from __future__ import annotations

import pytest

from taskqueue import error_headline

TRACEBACK = """Traceback (most recent call last):
  File "/skills/boom.py", line 3, in execute
    raise ValueError("boom 42")
ValueError: boom 42

"""


@pytest.mark.parametrize(("error", "headline"), [
    (TRACEBACK, "ValueError: boom 42"),
    ("skill 'spin' timed out after 1 s", "skill 'spin' timed out after 1 s"),
    ("first\n   \n  last, indented  \n\n", "last, indented"),
    ("", ""),
    ("  \n\t\n", ""),
    (None, ""),
])
def test_headline_is_the_last_line_that_says_something(error: str | None, headline: str) -> None:
    assert error_headline(error) == headline
