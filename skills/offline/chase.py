"""Chasing definitions: what one grep cannot do.

The best passages for a question name identifiers (`pause_reading`,
`_maybe_resume_transport`, `SIGNAL_INTERRUPTED`) that they do not define. A chase finds
each one's definition (`def X`, `class X`, `.. py:method:: X`, a heading named X) and
its nearest caller, then, to ``depth`` levels, the identifiers those definitions name
in turn, for at most ``budget`` identifiers in all.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from .corpus import CorpusIndex, Passage
from .passages import SECTION_SEPARATOR, is_code_path

__all__ = ["ChaseLimits", "ChaseResult", "Followed", "Named", "chase", "chaseable",
           "definitions", "follow", "identifiers_named", "nearest_caller"]

# An identifier worth chasing: snake_case with an underscore inside, camelCase, or a
# name followed by "(" (a call); short or common names say nothing.
_IDENTIFIER = re.compile(r"(?<!\w)([A-Za-z_]\w{3,})(\s*\()?")
_CAMEL = re.compile(r"[a-z][A-Z]")
_RST_DIRECTIVE = r"\.\.\s+(?:py:)?\w+::\s+[\w.]*\b{name}\b"
_NOT_CHASED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "cls"}


class ChaseLimits(BaseModel):
    """How far researchers chase definitions (config `[chase]`, the planner's input)."""

    model_config = ConfigDict(extra="forbid")

    per_research: int = Field(default=3, ge=0, le=10,
                              description="Identifiers one researcher's chase follows; 0: none.")
    depth: int = Field(default=2, ge=1, le=3,
                       description="Levels: the identifiers named by what a chase found.")
    per_session: int = Field(default=12, ge=0, le=100,
                             description="Identifiers all the chases of a session follow.")


@dataclass
class ChaseResult:
    """The identifiers chased, in order, and the passages found: each one's definition,
    then its nearest caller."""

    chased: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)


@dataclass(frozen=True)
class Named:
    """An identifier a passage uses, the file it was seen in, and whether its spelling
    alone marks it as an identifier (snake_case, camelCase) rather than its call."""

    name: str
    seen_in: str
    compound: bool


def identifiers_named(passages: Sequence[Passage]) -> list[Named]:
    """Identifiers the passages use but do not define, in order of first use."""
    defined = {p.symbol.rsplit(".", 1)[-1] for p in passages if p.symbol}
    found: dict[str, Named] = {}
    for passage in passages:
        code = passage.kind == "code" or is_code_path(passage.path)
        for match in _IDENTIFIER.finditer(passage.text):
            name, called = match.group(1), match.group(2)
            compound = "_" in name.strip("_") or bool(_CAMEL.search(name))
            # In prose, "retries (see below)" is no call.
            if (compound or (called and code)) and name not in _NOT_CHASED and (
                    name not in defined and not (name.startswith("__") and name.endswith("__"))):
                found.setdefault(name, Named(name, passage.path, compound))
    return list(found.values())


def _package(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _nearest_definitions(index: CorpusIndex, named: Named) -> list[Passage]:
    """Definitions of a name, those in the file or the package it was seen in first.
    A plain name (`release`, `start`) is only looked for in that package (that file, at
    the top of the corpus): elsewhere it is another thing of the same name."""
    found = definitions(index, named.name)
    here = _package(named.seen_in)
    if not named.compound:
        found = [p for p in found
                 if (p.path == named.seen_in if not here else _package(p.path) == here)]
    return sorted(found, key=lambda p: (p.path != named.seen_in, _package(p.path) != here))


def definitions(index: CorpusIndex, name: str) -> list[Passage]:
    """Where ``name`` is defined: a function, method or class of that name, a section
    headed by it, or a reStructuredText directive naming it."""
    directive = re.compile(_RST_DIRECTIVE.format(name=re.escape(name)))
    # A bare `class X:` or an empty section names X without saying anything about it.
    return [p for p in index.passages_naming(name) if p.kind != "heading" and (
            p.symbol.rsplit(".", 1)[-1] == name
            or p.section.rsplit(SECTION_SEPARATOR, 1)[-1].strip("`") == name
            or directive.search(p.text))]


def nearest_caller(index: CorpusIndex, name: str, definition: Passage) -> Passage | None:
    """The best-ranked passage that calls ``name``: in the definition's file if one does,
    else anywhere; never the definition itself."""
    call = re.compile(rf"\b{re.escape(name)}\s*\(")
    callers = [p for p in index.passages_naming(name)
               if call.search(p.text) and p.symbol.rsplit(".", 1)[-1] != name]
    same_file = [p for p in callers if p.path == definition.path]
    best = same_file or callers
    return best[0] if best else None


@dataclass(frozen=True)
class Followed:
    """One identifier followed: its definition, and its nearest caller if one calls it."""

    named: Named
    definition: Passage
    caller: Passage | None

    @property
    def passages(self) -> list[Passage]:
        return [self.definition] + ([self.caller] if self.caller is not None else [])


def follow(index: CorpusIndex, named: Named, seen: set[str]) -> Followed | None:
    """The identifier's nearest definition not among the citations `seen`, and its
    nearest caller if not `seen` either; None when it has no new definition."""
    defined = [p for p in _nearest_definitions(index, named) if p.citation not in seen]
    if not defined:
        return None
    caller = nearest_caller(index, named.name, defined[0])
    # A caller already found (often the very passage that named it) is not found again.
    return Followed(named, defined[0], None if caller is None or caller.citation in seen
                    else caller)


def chaseable(index: CorpusIndex, found: Sequence[Passage], budget: int,
              skipped: set[str], seen: set[str]) -> list[Followed]:
    """Up to ``budget`` identifiers that ``found`` names, each with a definition not yet
    `seen` (citations, grown with what is followed), in order of first use; never one whose
    lower-cased name is in ``skipped``."""
    picked: list[Followed] = []
    for named in identifiers_named(found):
        if len(picked) >= budget:
            break
        if named.name.lower() in skipped:
            continue
        followed = follow(index, named, seen)
        if followed is not None:
            seen.update(p.citation for p in followed.passages)
            picked.append(followed)
    return picked


def chase(index: CorpusIndex, found: Sequence[Passage], limits: ChaseLimits, budget: int,
          searched: Sequence[str] = ()) -> ChaseResult:
    """Follow the identifiers ``found`` names, up to ``budget`` and ``limits.depth``;
    never those in ``searched`` (the question's own terms, which the search has had)."""
    result = ChaseResult()
    seen = {p.citation for p in found}
    skipped = {term.lower() for term in searched}
    level: Sequence[Passage] = found
    for _ in range(limits.depth):
        picked = chaseable(index, level, budget - len(result.chased), skipped, seen)
        for followed in picked:
            result.chased.append(followed.named.name)
            result.passages.extend(followed.passages)
            skipped.add(followed.named.name.lower())
        level = [followed.definition for followed in picked]
    return result
