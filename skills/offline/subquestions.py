"""Split a free-text request into sub-questions, and pick out its keywords.

Everything here is deterministic and never raises on arbitrary text: the offline planner
runs it on whatever the user typed, including control characters and megabyte inputs.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

__all__ = ["MAX_SUBQUESTIONS", "STOP_WORDS", "keywords", "split_request", "terms"]

# More sub-questions than this makes an unreadable plan; the rest joins the last one.
MAX_SUBQUESTIONS = 12
# A clause joined by "and" or ";" becomes its own sub-question only when both sides have
# at least this many words, so "salt and pepper" stays whole.
MIN_CLAUSE_WORDS = 3
# What an "and" must be followed by to start a new clause rather than continue a noun
# phrase: "… and how do workers renew them" splits; "both stdout and stderr are pipes"
# and "retries with backoff and leases" do not.
_CLAUSE_OPENERS_TEXT = """
    how what why when where which who whom whose whether
    do does did is are was were can could should would will must may might has have had
    i we you it they he she this there
    compare describe explain give show tell list find name summarise summarize
"""
_CLAUSE_OPENERS = frozenset(_CLAUSE_OPENERS_TEXT.split())

# A small English stop-word list, plus question words and request verbs ("compare",
# "explain") that say what to do with the answer rather than what it is about.
_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each either etc few for from further had hadn't
    has hasn't have haven't having he her here hers herself him himself his how i if in into
    is isn't it it's its itself just let's me might more most mustn't my myself no nor not
    now of off on once only or other ought our ours ourselves out over own per same shall
    shan't she should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they this those through to too under until up upon
    us very via was wasn't we were weren't what what's when where which while who whom why
    will with won't would wouldn't yet you your yours yourself yourselves
    compare describe explain give show tell please vs
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# A list item: "-", "*", "+" or "•" bullets, or "1." / "1)" numbering, then the item text.
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?P<item>.*)$")
# A sentence ends at ".", "!" or "?" (possibly followed by closing quotes or brackets)
# and whitespace; abbreviations are re-joined afterwards.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+")
_ABBREVIATION = re.compile(r"(?:^|[^\w.])(?:e\.g|i\.e|etc|vs|cf|mr|mrs|ms|dr|fig)\.$", re.I)
_AND = re.compile(r",?\s+and\s+", re.I)
_LEADING_CONJUNCTION = re.compile(r"^(?:and|or|but)\b[\s,]*", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# C0/C1 control characters other than tab and newline carry no meaning in a request.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def split_request(text: str) -> list[str]:
    """Split a request into sub-questions.

    The units are list items (lines starting with ``-``, ``*``, ``+``, ``•``, ``1.`` or
    ``1)``), the sentences of the other lines, and within those the clauses joined by ";"
    or "and" when both sides have at least ``MIN_CLAUSE_WORDS`` words (after "and", only
    when a question word, an auxiliary, a pronoun or a request verb opens a new clause,
    so "both X and Y" and "X and Y" in one noun phrase stay whole). Units are trimmed,
    empty or punctuation-only ones dropped, and case-insensitive duplicates removed; past
    ``MAX_SUBQUESTIONS`` the rest is merged into the last one. A request that yields
    nothing useful returns ``[text.strip()]``, and a blank one returns ``[]``.
    """
    stripped = text.strip()
    if not stripped:
        return []
    units: list[str] = []
    for block in _blocks(_CONTROL.sub(" ", text)):
        for sentence in _sentences(block):
            units.extend(_clauses(sentence))
    questions = _dedupe(u for u in (_tidy(u) for u in units) if _is_useful(u))
    if len(questions) > MAX_SUBQUESTIONS:
        head = questions[: MAX_SUBQUESTIONS - 1]
        questions = _dedupe([*head, " ".join(questions[MAX_SUBQUESTIONS - 1 :])])
    return questions or [stripped]


def keywords(text: str) -> list[str]:
    """Return the lowercased terms of ``text`` minus stop words, unique, in order.

    A term is a run of letters or digits, possibly joined by an apostrophe or a hyphen
    ("dead-letter", "don't"); single characters are dropped as noise.
    """
    return list(dict.fromkeys(terms(text)))


def terms(text: str) -> list[str]:
    """Every occurrence of a keyword in ``text``, in order, repeats kept."""
    found = (m.group().replace("’", "'") for m in _WORD.finditer(text.lower()))
    return [term for term in found if len(term) > 1 and term not in STOP_WORDS]


def _blocks(text: str) -> list[str]:
    """Group lines into list items and runs of prose (a blank line ends a run)."""
    blocks: list[str] = []
    prose: list[str] = []
    for line in text.splitlines():
        item = _LIST_ITEM.match(line)
        if item or not line.strip():
            blocks.append(" ".join(prose))
            prose = []
        if item:
            blocks.append(item.group("item"))
        elif line.strip():
            prose.append(line.strip())
    blocks.append(" ".join(prose))
    return [b for b in blocks if b.strip()]


def _sentences(block: str) -> list[str]:
    """Split prose into sentences, re-joining splits made after an abbreviation."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(block):
        # "e.g. retries" is not the end of a sentence.
        if _ABBREVIATION.search(block[max(start, match.start() - 8) : match.start()]):
            continue
        sentences.append(block[start : match.start()])
        start = match.end()
    sentences.append(block[start:])
    return sentences


def _clauses(sentence: str) -> list[str]:
    """Split a sentence on ";" and then on "and", when both sides are substantial."""
    clauses: list[str] = []
    for part in _merge_short(sentence.split(";"), "; "):
        clauses.extend(_split_on_and(part))
    # A clause split off the middle of a sentence reads as its own question when capitalised.
    return clauses[:1] + [_capitalise(c.strip()) for c in clauses[1:]]


def _merge_short(parts: list[str], joiner: str) -> list[str]:
    """Join each part shorter than ``MIN_CLAUSE_WORDS`` words onto its neighbour."""
    groups: list[list[str]] = []
    last_words = 0  # words in groups[-1], kept so long inputs stay linear
    for part in parts:
        words = _word_count(part)
        if groups and (words < MIN_CLAUSE_WORDS or last_words < MIN_CLAUSE_WORDS):
            groups[-1].append(part)
            last_words += words
        else:
            groups.append([part])
            last_words = words
    return [joiner.join(group) for group in groups]


def _split_on_and(clause: str) -> list[str]:
    """Split at each "and" whose left part and whole remainder both have enough words.

    Word positions are computed once so a megabyte of "and and and" stays linear.
    """
    word_starts = [m.start() for m in _WORD.finditer(clause)]

    def words_between(lo: int, hi: int) -> int:
        return bisect.bisect_left(word_starts, hi) - bisect.bisect_left(word_starts, lo)

    pieces: list[str] = []
    start = 0
    for match in _AND.finditer(clause):
        left = words_between(start, match.start())
        right = words_between(match.end(), len(clause))
        if left >= MIN_CLAUSE_WORDS and right >= MIN_CLAUSE_WORDS and _opens_clause(
                clause, match.end()):
            pieces.append(clause[start : match.start()])
            start = match.end()
    pieces.append(clause[start:])
    return pieces


def _opens_clause(text: str, at: int) -> bool:
    """Whether the word at `at` starts a clause of its own (see `_CLAUSE_OPENERS`)."""
    word = _WORD.match(text, at)
    return word is not None and word.group().casefold() in _CLAUSE_OPENERS


def _tidy(unit: str) -> str:
    """Collapse whitespace; drop a leading conjunction left over from a split."""
    unit = " ".join(unit.split())
    without = _LEADING_CONJUNCTION.sub("", unit)
    return _capitalise(without) if without != unit else unit


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_useful(unit: str) -> bool:
    """A sub-question needs at least one letter or digit."""
    return any(ch.isalnum() for ch in unit)


def _dedupe(units: Iterable[str]) -> list[str]:
    """Drop case-insensitive duplicates (ignoring trailing punctuation), keep order."""
    seen: set[str] = set()
    unique: list[str] = []
    for unit in units:
        key = unit.casefold().rstrip(" .!?;:,")
        if key not in seen:
            seen.add(key)
            unique.append(unit)
    return unique


def _word_count(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))
