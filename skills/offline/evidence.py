"""Small, deterministic judgements over search results, for the analysis and critique skills.

These are heuristics over words, not understanding: they say where to look, and their
docstrings say exactly what they count so a report can state how a verdict was reached.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from typing import Literal

from . import subquestions
from .corpus import Passage
from .identifiers import identifier_parts
from .passages import is_code_path
from .ranking import text_stems
from .stems import stem

__all__ = [
    "MIN_PASSAGES_FOR_COMMON",
    "MIN_SHARED_FRACTION",
    "MIN_SHARED_TERMS",
    "STRONG_COVERAGE",
    "Strength",
    "disagreements",
    "evidence_strength",
    "missing_terms",
    "recurring_files",
    "recurring_terms",
    "stem",
]

Strength = Literal["strong", "weak", "none"]

# Words every piece of Python holds: no key term of anything.
_PYTHON_NAMES_TEXT = "self cls args kwargs str int bool dict list tuple len isinstance super init"
_CODE_WORDS = frozenset([w.lower() for w in keyword.kwlist] + _PYTHON_NAMES_TEXT.split())

# Two sentences are about the same thing when they share at least this many stemmed key
# terms, and at least this share of the terms of the shorter one; looser, and every pair
# of sentences that mention "task", "queue" and "retry" would be flagged.
MIN_SHARED_TERMS = 3
MIN_SHARED_FRACTION = 0.5
MIN_PASSAGES_FOR_COMMON = 6
# Evidence is strong when the passages cover at least this share of the question's terms.
STRONG_COVERAGE = 0.75

# "not", "never", "no longer", "cannot", any "n't" contraction, and a few pronouns of
# absence. A bare "no" is left out: "no network" negates nothing another text claims.
_NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|cannot|nothing|none|neither|nor)\b|n['’]t\b", re.I
)
_CLAUSE_END = re.compile(r"(?<=[.!?;:])\s+")
# Code says nothing a negation check can read: Python's `None` is not "none".
_FENCED_CODE = re.compile(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# A Markdown heading is a clause of its own; a list item starts a new one.
_HEADING = re.compile(r"#{1,6}(?:\s|$)")
_LIST_ITEM = re.compile(r"(?:[-*+]|\d{1,3}[.)])\s")


def evidence_strength(passages: Sequence[Passage], terms: Sequence[str] = ()) -> Strength:
    """Grade how much of a sub-question the passages found for it cover.

    ``terms`` are the sub-question's keywords. A passage covers a term when its text,
    its file's path, or its symbol or section holds the term (after ``stem``; an
    identifier or a hyphenated term must have all its parts). The evidence is
    ``"strong"`` when the passages together cover at least ``STRONG_COVERAGE`` of the
    terms and one passage alone covers at least half of them; ``"weak"`` when there are
    passages but not so; ``"none"`` when there are none. With no terms, any passage is
    strong. How many files agree is not counted: a README and an index page that show
    the same example are one source, not two. Scores are not used either: bm25 values
    depend on the size of the corpus.
    """
    if not passages:
        return "none"
    wanted = _wanted(terms)
    if not wanted:
        return "strong"
    each = [_covered(p, wanted) for p in passages]
    together = set().union(*each)
    best = max(len(found) for found in each)
    strong = len(together) >= STRONG_COVERAGE * len(wanted) and 2 * best >= len(wanted)
    return "strong" if strong else "weak"


def missing_terms(passages: Sequence[Passage], terms: Sequence[str]) -> list[str]:
    """The ``terms`` that none of ``passages`` covers (see ``evidence_strength``)."""
    wanted = _wanted(terms)
    together = set().union(*(_covered(p, wanted) for p in passages))
    return [term for term in wanted if term not in together]


def _wanted(terms: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each distinct term with the stems a passage must hold to cover it."""
    wanted: dict[str, frozenset[str]] = {}
    for term in dict.fromkeys(t.lower() for t in terms):
        parts = identifier_parts(term) or [term]
        wanted[term] = frozenset(stem(part) for part in parts)
    return {term: stems for term, stems in wanted.items() if stems}


def _covered(passage: Passage, wanted: dict[str, frozenset[str]]) -> set[str]:
    found = text_stems(f"{passage.path} {passage.where}\n{passage.text}")
    return {term for term, stems in wanted.items() if stems <= found}


def recurring_terms(texts: Sequence[str], top: int = 10) -> list[tuple[str, int]]:
    """The key terms found in at least two of ``texts``, with the number of texts.

    Terms are ``keywords`` of three or more characters, not bare numbers nor the
    keywords and common builtins of Python (``def``, ``return``, ``none``), grouped by
    ``stem`` and shown in their most frequent spelling. Most widespread first, then by
    total occurrences, then alphabetically; at most ``top`` of them.
    """
    spread: Counter[str] = Counter()  # stem -> texts it occurs in
    total: Counter[str] = Counter()  # stem -> occurrences
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        found = [t for t in subquestions.terms(text)
                 if len(t) >= 3 and not t.isdigit() and t not in _CODE_WORDS]
        for term in found:
            spellings.setdefault(stem(term), Counter())[term] += 1
        total.update(stem(term) for term in found)
        spread.update({stem(term) for term in found})
    ranked = sorted(
        (key for key, count in spread.items() if count >= 2),
        key=lambda key: (-spread[key], -total[key], key),
    )
    return [(_spelling(spellings[key]), spread[key]) for key in ranked[: max(top, 0)]]


def recurring_files(passages: Sequence[Passage], min_count: int = 2) -> list[tuple[str, int]]:
    """Files cited by at least ``min_count`` of ``passages``, most cited first.

    Every passage counts, so a file found again for another sub-question recurs.
    Ties are broken by path.
    """
    counts = Counter(p.path for p in passages)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(path, count) for path, count in ranked if count >= min_count]


def disagreements(passages: Sequence[Passage]) -> list[tuple[Passage, Passage]]:
    """Pairs of passages from different files that may disagree.

    The heuristic: one passage has a clause with a negation ("not", "never",
    "no longer", "cannot", an "n't" contraction) and the other has a clause without
    one, and the two clauses share at least ``MIN_SHARED_TERMS`` stemmed key terms,
    which are also at least half of the terms of the shorter clause. Clauses end at
    ".", "!", "?", ";", ":" and at Markdown headings and list items. Terms found in more
    than three quarters of the passages (when there are at least
    ``MIN_PASSAGES_FOR_COMMON``) are too common to tie two clauses together and are not
    counted. The negating passage comes first.

    It finds "never retry without a cap" against "retry without a cap, unlimited", but
    also flags texts that merely contrast, and misses disagreements worded without a
    negation: a prompt for a reader, not a verdict. Passages are deduplicated by
    citation; pairs come in citation order. Code is never read for negations: passages
    of source files are left out, and fenced or inline code in prose is set aside.
    """
    unique = sorted(
        {p.citation: p for p in passages if not is_code_path(p.path)}.values(),
        key=lambda p: (p.path, p.start_line),
    )
    clauses = {p.citation: _clauses(p.text) for p in unique}
    common = _common_terms([set().union(*(t for _, t in c)) for c in clauses.values()])
    for citation, found in clauses.items():
        clauses[citation] = [(negated, stems - common) for negated, stems in found]
    pairs: list[tuple[Passage, Passage]] = []
    for first, second in combinations(unique, 2):
        if first.path == second.path:
            continue
        if _contradicts(clauses[first.citation], clauses[second.citation]):
            pairs.append((first, second))
        elif _contradicts(clauses[second.citation], clauses[first.citation]):
            pairs.append((second, first))
    return pairs


# Negation words are what differs between the two sentences, not what they share.
_NEGATION_STEMS = frozenset(stem(w) for w in ("never", "nothing", "none", "neither", "longer"))


def _spelling(spellings: Counter[str]) -> str:
    return sorted(spellings.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _stems(text: str) -> set[str]:
    """The stems of the words of ``text``, hyphenated words split into their parts."""
    return {stem(part) for term in subquestions.keywords(text) for part in term.split("-")}


def _clauses(text: str) -> list[tuple[bool, set[str]]]:
    """Each clause of ``text`` as (has a negation, its stemmed key terms)."""
    found: list[tuple[bool, set[str]]] = []
    prose = _INLINE_CODE.sub(" ", _FENCED_CODE.sub(" ", text))
    for block in _blocks(prose):
        for clause in _CLAUSE_END.split(block):
            found.append((bool(_NEGATION.search(clause)), _stems(clause) - _NEGATION_STEMS))
    return found


def _blocks(text: str) -> list[str]:
    """Lines of ``text`` grouped into paragraphs, headings and list items."""
    blocks: list[list[str]] = [[]]
    for line in (raw.strip() for raw in text.split("\n")):
        if not line or _HEADING.match(line) or _LIST_ITEM.match(line):
            blocks.append([])
        if line:
            blocks[-1].append(line)
        if _HEADING.match(line):
            blocks.append([])
    return [" ".join(block) for block in blocks if block]


def _common_terms(per_passage: list[set[str]]) -> set[str]:
    """Terms in more than three quarters of the passages.

    Below ``MIN_PASSAGES_FOR_COMMON`` passages nothing is called common: in a handful of
    search results every term of the query is in most of them by construction.
    """
    if len(per_passage) < MIN_PASSAGES_FOR_COMMON:
        return set()
    counts = Counter(term for terms in per_passage for term in terms)
    return {term for term, count in counts.items() if count * 4 > len(per_passage) * 3}


def _contradicts(negating: list[tuple[bool, set[str]]], other: list[tuple[bool, set[str]]]) -> bool:
    """A negated clause in one text shares enough terms with a plain one in the other."""
    return any(
        _same_subject(stems, other_stems)
        for negated, stems in negating
        if negated
        for other_negated, other_stems in other
        if not other_negated
    )


def _same_subject(first: set[str], second: set[str]) -> bool:
    shared = len(first & second)
    smaller = min(len(first), len(second))
    return shared >= MIN_SHARED_TERMS and shared >= MIN_SHARED_FRACTION * smaller
