"""Words of code and questions as the index sees them: identifiers split and kept whole.

``pause_reading`` and ``StreamReader`` are one token each in the index (so an exact name
matches exactly) and also their parts, ``pause reading`` and ``stream reader`` (so a
question in plain words finds them). A question's terms drop the stop list, which also
holds question words and the filler verbs of developer questions ("happens", "make",
"implement", "handle").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .stems import stem
from .subquestions import STOP_WORDS

__all__ = ["QUERY_STOP_WORDS", "QueryTerm", "identifier_parts", "query_terms", "question_terms",
           "with_parts"]

_QUERY_FILLER_TEXT = """
    happen happens happened make makes made module modules implement implements implemented
    implementation handle handles handled work works worked working use uses used using
    way ways get gets thing things exactly actually really possible need needs want mean
    means example instead whole happening get kind python code go goes going
"""
QUERY_STOP_WORDS = STOP_WORDS | frozenset(_QUERY_FILLER_TEXT.split())

# An identifier or a word: letters, digits and underscores, maybe joined by a hyphen.
_TOKEN = re.compile(r"\w+(?:-\w+)*")
# A token with an underscore or a change of case: the only ones with parts to add.
_COMPOUND = re.compile(r"\b\w*(?:_|[a-z][A-Z]|[A-Z][A-Z][a-z])\w*")
# Parts of an identifier: lowercase runs, capitalised words, acronyms, each with the
# digits after it ("http2", "utf8" stay whole); a leading run of digits.
_PART = re.compile(r"[A-Z]+\d*(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")


@dataclass(frozen=True)
class QueryTerm:
    """One distinct term of a question: its whole form and, for an identifier, its parts."""

    whole: str
    parts: tuple[str, ...]

    @property
    def stems(self) -> frozenset[str]:
        """What a passage must hold to cover this term: the whole's stem or every part's."""
        return frozenset(stem(part) for part in self.parts)


def identifier_parts(token: str) -> list[str]:
    """``pause_reading`` → pause, reading; ``StreamReader`` → stream, reader; lowercased."""
    return list(_parts(token))


@lru_cache(maxsize=65536)
def _parts(token: str) -> tuple[str, ...]:
    return tuple(part.lower() for piece in token.split("_") for part in _PART.findall(piece))


def with_parts(text: str) -> str:
    """The parts of every compound identifier in ``text``, space-separated (index side)."""
    extra: list[str] = []
    for token in _COMPOUND.findall(text):
        extra.extend(_parts(token))
    return " ".join(extra)


def query_terms(question: str, limit: int) -> list[QueryTerm]:
    """The distinct terms of ``question`` (stop words out), at most ``limit`` of them."""
    found: dict[str, QueryTerm] = {}
    for match in _TOKEN.finditer(question.replace("’", "'")):
        token = match.group()
        whole = token.lower().strip("_")
        if len(whole) < 2 or whole in QUERY_STOP_WORDS or whole.isdigit():
            continue
        parts = tuple(p for p in identifier_parts(token) if p not in QUERY_STOP_WORDS) or (
            whole,)
        found.setdefault(token.lower(), QueryTerm(token.lower(), parts))
        if len(found) >= limit:
            break
    return list(found.values())


def question_terms(question: str, limit: int = 32) -> list[str]:
    """The distinct terms of a question as words (``query_terms``' whole forms)."""
    return [term.whole for term in query_terms(question, limit)]
