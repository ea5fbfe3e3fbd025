"""A crude English stemmer shared by the ranking and the evidence checks."""

from __future__ import annotations

__all__ = ["stem"]

_SUFFIXES = (
    ("ies", "y"),
    ("ied", "y"),
    ("sses", "ss"),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)


def stem(word: str) -> str:
    """A crude English stem, enough to match "retries" with "retry", "leases" with "lease".

    It strips one plural or verb ending, then a final "e"; it is not a linguist's stemmer
    and need not be, as both sides of every comparison go through it.
    """
    word = word.lower()
    if len(word) <= 3:
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word
