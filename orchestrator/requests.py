"""Checking what a user types: the request text `run` is given, an answer, an id."""

from __future__ import annotations

import unicodedata

from taskqueue import MAX_ID, SwarmError

MAX_REQUEST_CHARS = 20_000


class BadInput(SwarmError):
    """Something a user typed that swarm cannot take."""


class BadRequest(BadInput):
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
    check_characters(stripped, "the request", BadRequest)
    return stripped


def check_characters(text: str, what: str, error: type[BadInput] = BadInput) -> None:
    """Raise `error` at the first character that has no place in typed text: a control
    or format character other than a line break or a tab (NUL, an escape that would
    drive a terminal), or a lone surrogate (bytes that were not UTF-8)."""
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cs":
            raise error(f"{what} is not UTF-8 text (a byte that is not UTF-8 at position "
                        f"{position})")
        if char not in "\n\t" and category in ("Cc", "Cf"):
            raise error(f"{what} contains the control character U+{ord(char):04X} "
                        f"at position {position}")


def is_utf8(text: str) -> bool:
    """False for an argument Python decoded with surrogateescape (bytes not UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str) -> str:
    """`text` quoted as the user typed it: bytes that are not UTF-8 as `\\xff`."""
    if is_utf8(text):
        return repr(text)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate not made from a byte (in-process callers)
        raw = text.encode("utf-8", "backslashreplace")
    return repr(raw)[1:]


def whole_number(text: str, name: str, kind: str) -> int:
    """`text` as a whole number from 0 to MAX_ID (the largest id SQLite stores); a
    `ValueError` saying why not. Digits other than ASCII (`²`) are refused: `int()`
    would take some and not others."""
    value = text.strip()
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{name} must be {kind} (a whole number such as 9), got "
                         f"{shown(text)}")
    # Counted before int(): a string of thousands of digits is refused by int() itself.
    if len(value.lstrip("0")) > len(str(MAX_ID)) or int(value) > MAX_ID:
        raise ValueError(f"{name} {value} is out of range (at most {MAX_ID})")
    return int(value)
