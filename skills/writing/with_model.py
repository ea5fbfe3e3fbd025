"""Writing from the blackboard with the model: the outline (`design`), the review
(`critique`) and the report's body (`synthesize`).

Each returns the model's text with its citations checked, or None and a note saying why
the skill writes offline this time: no model (no note), the model failed, or its answer
was unusable (it cited no passage, or held no point).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from skills.contracts import SwarmContext
from skills.writing.asking import Fallback, ask, italic_note
from skills.writing.citations import number_passages, resolve_citations
from skills.writing.prompts import CRITIC_PROMPT, DESIGNER_PROMPT, REPORTER_PROMPT
from skills.writing.sections import Section

__all__ = ["ModelText", "model_outline", "model_report_body", "model_review",
           "sections_for_model", "with_note"]

# Passages per sub-question shown to the model.
PASSAGES_SHOWN = 5
# Definitions that chases found, shown after a section's passages.
CHASED_SHOWN = 2
# Characters of a design or critique shown to the model.
DOCUMENT_CHARS = 6000
MAX_REVIEW_POINTS = 8
_WRAPPING_FENCE = re.compile(r"^\s*```(?:markdown|md)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)
_TITLE = re.compile(r"^#\s")
_POINT = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+(?P<text>\S.*)$")


@dataclass(frozen=True)
class ModelText:
    """What the model wrote (citations resolved), or why it is not used."""

    text: str | None
    citations: list[str]
    note: str = ""


def sections_for_model(sections: Sequence[Section]) -> tuple[str, list[str]]:
    """Each sub-question as `## n. question` with its passages, numbered across all
    sections; and the citations in number order."""
    blocks: list[str] = []
    citations: list[str] = []
    for section in sections:
        shown = [*section.passages[:PASSAGES_SHOWN], *section.chased[:CHASED_SHOWN]]
        passages = number_passages(shown, first=len(citations) + 1) or "(no passage found)"
        blocks.append(f"## {section.number}. {section.question}\n\n{passages}")
        citations += [p.citation for p in shown]
    return "\n\n".join(blocks), citations


async def model_outline(ctx: SwarmContext, request: str, sections: Sequence[Section]
                        ) -> ModelText:
    return await _cited_text(ctx, DESIGNER_PROMPT, request, sections, "outline", "")


async def model_report_body(ctx: SwarmContext, request: str, sections: Sequence[Section],
                            design: str, critique: str) -> ModelText:
    context = ""
    if design.strip():
        context += f"\n\nThe outline:\n\n{design[:DOCUMENT_CHARS]}"
    if critique.strip():
        context += f"\n\nThe critique:\n\n{critique[:DOCUMENT_CHARS]}"
    return await _cited_text(ctx, REPORTER_PROMPT, request, sections, "report", context)


async def model_review(ctx: SwarmContext, request: str, designs: dict[str, str],
                       sections: Sequence[Section]) -> ModelText:
    """The model's points on the outline, as list items (`text` one per line)."""
    if ctx.llm is None:
        return ModelText(None, [])
    evidence = "\n".join(f"{s.number}. {s.question} — evidence {s.evidence}" for s in sections)
    outline = "\n\n".join(designs.values())[:DOCUMENT_CHARS] or "(no outline was written)"
    reply = await ask(ctx, CRITIC_PROMPT,
                      f"Request: {request}\n\nEvidence per sub-question:\n{evidence}\n\n"
                      f"The outline:\n\n{outline}")
    if isinstance(reply, Fallback) or reply is None:
        return _offline(reply, "review")
    points = [m["text"].strip() for m in map(_POINT.match, reply.text.split("\n")) if m]
    if not points:
        return ModelText(None, [], italic_note("the model's review held no point, so the "
                                               "review was made offline"))
    return ModelText("\n".join(f"- {p}" for p in points[:MAX_REVIEW_POINTS]), [])


def with_note(text: str, note: str) -> str:
    """`text` with `note` as a paragraph after its title (the first line)."""
    if not note:
        return text
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{note}\n{rest}"


async def _cited_text(ctx: SwarmContext, system: str, request: str,
                      sections: Sequence[Section], what: str, context: str) -> ModelText:
    if ctx.llm is None or not sections:
        return ModelText(None, [])
    shown, citations = sections_for_model(sections)
    reply = await ask(ctx, system, f"Request: {request}\n\nSub-questions and the passages "
                                   f"found for them:\n\n{shown}{context}")
    if isinstance(reply, Fallback) or reply is None:
        return _offline(reply, what)
    text, used = resolve_citations(_markdown_body(reply.text), citations)
    if citations and not used:
        return ModelText(None, [], italic_note(f"the model's {what} cited none of the "
                                               f"passages, so the {what} was made offline"))
    return ModelText(text.strip(), used)


def _offline(reply: Fallback | None, what: str) -> ModelText:
    if reply is None:
        return ModelText(None, [])
    return ModelText(None, [], italic_note(f"{reply.note}; the {what} was made offline"))


def _markdown_body(text: str) -> str:
    """The model's Markdown without a fence around all of it or a title of its own."""
    fenced = _WRAPPING_FENCE.match(text)
    body = fenced["body"] if fenced else text
    return "\n".join(line for line in body.strip().split("\n") if not _TITLE.match(line))
