"""Checking the request text a user gives `run`."""

from __future__ import annotations

import unicodedata

from taskqueue import SwarmError

MAX_REQUEST_CHARS = 20_000


class BadRequest(SwarmError):
    """The request text cannot be planned."""


def check_request(text: str) -> str:
    """The request, stripped; or BadRequest saying what is wrong with it."""
    stripped = text.strip()
    if not stripped:
        raise BadRequest("the request is empty: say what the swarm should find out")
    if len(stripped) > MAX_REQUEST_CHARS:
        raise BadRequest(
            f"the request is {len(stripped):,} characters long; the limit is "
            f"{MAX_REQUEST_CHARS:,} (put long material in the corpus, not the request)"
        )
    for position, char in enumerate(stripped):
        if char not in "\n\t" and unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            raise BadRequest(
                f"the request contains the control character U+{ord(char):04X} "
                f"at position {position}"
            )
    return stripped
