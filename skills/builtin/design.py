"""`design`: the outline of the answer, one section per sub-question, built from the
findings. Each point is the opening of one of the best passages, with its citation;
a sub-question with no passage says so rather than saying nothing.

With a model, the model writes the outline from the same passages, citing them by
number; its citations are checked against the findings (`skills/writing/with_model.py`).

Notes that are not statements (the evidence line, "no evidence found") are written in
italics, `_like this_`, so that `critique` can tell them from statements that need a
citation.
"""

from __future__ import annotations

from collections.abc import Sequence

from blackboard.layout import DESIGNS
from skills.contracts import SkillResult, SwarmContext
from skills.roles import ARCHITECT
from skills.writing.common import DownstreamInput, one_line
from skills.writing.prose import points
from skills.writing.report_points import evidence_line
from skills.writing.sections import FindingsSkill, Section
from skills.writing.with_model import model_outline, with_note

__all__ = ["NO_EVIDENCE", "Design", "render_design",
           "render_model_design"]

DESIGN_POINTS = 3
NO_EVIDENCE = "No evidence found: no passage of the corpus matches this sub-question."


def render_design(request: str, sections: Sequence[Section]) -> str:
    """The design file's text."""
    subject = f" to: {one_line(request)}" if request.strip() else ""
    out = [f"# Design: outline of the answer{subject}", "",
           "_One section per sub-question; each point opens a passage found for it and "
           "cites it._", ""]
    if not sections:
        out += ["_No findings are on the blackboard: there is nothing to outline._", ""]
    for section in sections:
        out += [f"## {section.number}. {section.question}", "",
                f"_Evidence: {evidence_line(section, section.passages[:DESIGN_POINTS])}._", ""]
        statements = points(section, DESIGN_POINTS)
        out += [f"- {s}" for s in statements] or [f"_{NO_EVIDENCE}_"]
        out.append("")
    return "\n".join(out)


def render_model_design(request: str, body: str) -> str:
    """The design file's text around the outline the model wrote."""
    subject = f" to: {one_line(request)}" if request.strip() else ""
    return "\n".join([f"# Design: outline of the answer{subject}", "",
                      "_Written by the model from the findings; its citations were checked "
                      "against them._", "", body, ""])


class Design(FindingsSkill):
    """Outline the answer from the findings, section by sub-question."""

    name = "design"
    roles = (ARCHITECT,)

    async def write(self, ctx: SwarmContext, given: DownstreamInput, sections: list[Section]
                    ) -> SkillResult:
        written = await model_outline(ctx, given.request, sections)
        if written.text is not None:
            text, sources = render_model_design(given.request, written.text), written.citations
        else:
            text = with_note(render_design(given.request, sections), written.note)
            sources = list(dict.fromkeys(
                p.citation for s in sections for p in s.passages[:DESIGN_POINTS]))
        path = ctx.blackboard.write_output(DESIGNS, "design", text, sources=sources)
        empty = [s.number for s in sections if not s.passages]
        await ctx.progress(1.0, f"{len(sections)} sections outlined")
        return SkillResult(summary=f"{len(sections)} sections, {len(empty)} without evidence",
                           files=[path], data={"sections": len(sections), "empty": empty})
