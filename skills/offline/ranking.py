"""Re-rank what bm25 found: passages that cover more of the question first.

FTS5's bm25 (with the path, symbol and section columns weighing more than the text)
picks a pool of candidates; bm25 alone favours a short passage that repeats one word,
such as a heading or a one-line comment. Here each candidate is scored by how much of
the question it covers, each term weighted by its rarity in the corpus (idf), with a
bonus for terms in its file's path, its symbol or its section, and bm25 as a tie-breaker.
Passages that only name a thing (a heading alone, a comment alone) are demoted, and
near-duplicates (the same example in a README and an index page) are collapsed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .identifiers import QueryTerm, identifier_parts
from .stems import stem

__all__ = ["Candidate", "fts_match", "rank_candidates", "text_stems"]

# How much a covered term in the path, symbol or section adds, on top of covering it.
NAME_BONUS = 0.5
# bm25's share of the score: enough to order passages that cover the same terms.
BM25_SHARE = 0.3
# A heading or a comment alone names a thing without saying anything about it.
NAMING_ONLY_FACTOR = 0.5
NAMING_ONLY_KINDS = frozenset({"heading", "comment"})
# Two passages sharing this share of their distinct words say the same thing.
NEAR_DUPLICATE_JACCARD = 0.8

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Candidate:
    """A passage found by bm25, with what ranking needs (``bm25`` is negative, lower
    is better, as FTS5 gives it)."""

    path: str
    start_line: int
    end_line: int
    symbol: str
    section: str
    kind: str
    text: str
    bm25: float


def fts_match(terms: Sequence[QueryTerm]) -> str:
    """An FTS5 query that matches any whole term or any part, every one quoted."""
    quoted = dict.fromkeys(
        '"' + word.replace('"', '""') + '"' for term in terms for word in (term.whole,
                                                                           *term.parts))
    return " OR ".join(quoted)


def term_match(term: QueryTerm) -> str:
    """An FTS5 query for passages that hold ``term``: whole, or all its parts."""
    def quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'
    if term.parts == (term.whole,):
        return quote(term.whole)
    return f"{quote(term.whole)} OR ({' AND '.join(quote(p) for p in term.parts)})"


def idf(passages: int, containing: int) -> float:
    """How rare a term is among ``passages``, as bm25 weighs it (never below a floor)."""
    return max(math.log(1 + (passages - containing + 0.5) / (containing + 0.5)), 0.05)


def text_stems(text: str) -> set[str]:
    """The stems of the words of ``text`` and of the parts of its identifiers."""
    found: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group()
        found.add(stem(word.strip("_")))
        found.update(stem(part) for part in identifier_parts(word))
    return found


def rank_candidates(candidates: Sequence[Candidate], terms: Sequence[QueryTerm],
                    weights: Sequence[float], limit: int) -> list[tuple[Candidate, float]]:
    """The best ``limit`` candidates with their scores, best first; ``weights`` are the
    terms' idf. Ties go to the path, then the line."""
    if not candidates or not terms:
        return []
    total = sum(weights) or 1.0
    best_bm25 = min(c.bm25 for c in candidates) or -1.0
    scored: list[tuple[float, Candidate]] = []
    for candidate in candidates:
        names = text_stems(f"{candidate.path} {candidate.symbol} {candidate.section}")
        words = text_stems(candidate.text) | names
        covered = sum(w for t, w in zip(terms, weights, strict=True) if t.stems <= words)
        named = sum(w for t, w in zip(terms, weights, strict=True) if t.stems <= names)
        score = covered / total + NAME_BONUS * named / total + BM25_SHARE * (
            candidate.bm25 / best_bm25)
        if candidate.kind in NAMING_ONLY_KINDS:
            score *= NAMING_ONLY_FACTOR
        scored.append((round(score, 6), candidate))
    scored.sort(key=lambda item: (-item[0], item[1].path, item[1].start_line))
    return _without_near_duplicates(scored, limit)


def _without_near_duplicates(scored: list[tuple[float, Candidate]], limit: int
                             ) -> list[tuple[Candidate, float]]:
    kept: list[tuple[Candidate, float, set[str]]] = []
    for score, candidate in scored:
        words = {w.lower() for w in _WORD.findall(candidate.text)}
        if any(_jaccard(words, other) >= NEAR_DUPLICATE_JACCARD for _, _, other in kept):
            continue
        kept.append((candidate, score, words))
        if len(kept) >= limit:
            break
    return [(candidate, score) for candidate, score, _ in kept]


def _jaccard(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)
