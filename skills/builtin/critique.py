"""`critique`: what the design lacks. Sub-questions without (or with weak) evidence,
passages that may disagree, and statements of the design that cite nothing.

With a model, the model's own review of the outline follows, under its own heading.

Each finding is a list item under a `## ` heading, so that `synthesize` can carry the
points into the report's "What is missing and why" without knowing more of this format.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from blackboard.layout import CRITIQUES, DESIGNS
from skills.contracts import SkillResult, SwarmContext
from skills.offline import disagreements
from skills.roles import CRITIC
from skills.writing.common import DownstreamInput, latest_outputs, one_line
from skills.writing.prose import CITATION, cite, lead
from skills.writing.sections import FindingsSkill, Section
from skills.writing.with_model import model_review, with_note

__all__ = ["Critique", "render_critique", "uncited_statements"]

MODEL_REVIEW = "The model's review"
_LIST_MARKER = re.compile(r"(?:[-*+•]|\d{1,3}[.)])\s+")
_NOT_A_STATEMENT = re.compile(r"#|```|~~~|\||-{3,}$|_.*_$|\*[^*].*\*$")


def uncited_statements(design: str) -> list[str]:
    """The statements of a design that carry no `[file:lines]` citation.

    A statement is a list item or a line of prose; headings, code blocks, tables, rules
    and notes in italics are not statements.
    """
    found: list[str] = []
    in_code = False
    for raw in design.split("\n"):
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_code = not in_code
        if in_code or not line or _NOT_A_STATEMENT.match(line):
            continue
        statement = _LIST_MARKER.sub("", line, count=1)
        if statement and not CITATION.search(statement):
            found.append(statement)
    return found


def render_critique(request: str, sections: Sequence[Section],
                    designs: dict[str, str]) -> str:
    """The critique file's text; `designs` maps each design file read to its text."""
    subject = f": {one_line(request)}" if request.strip() else ""
    read = ", ".join(designs) if designs else "no design"
    out = [f"# Critique of the design{subject}", "",
           f"_Read {read} and the findings of {len(sections)} sub-questions._", ""]
    out += _heading("Sub-questions without evidence", [
        f"{s.number}. {s.question} — no passage of the corpus matches it, so the answer "
        "cannot say anything sourced about it" for s in sections if s.strength == "none"],
        "None: every sub-question has passages.")
    out += _heading("Sub-questions with weak evidence", [
        f"{s.number}. {s.question} — {s.evidence}: no two files support it" for s in sections
        if s.strength == "weak"], "None.")
    out += _heading("Passages that may disagree", _disagreeing(sections),
                    "None found.")
    if designs:
        out += _heading("Statements without a citation", [
            f"{path}: {statement}" for path, text in designs.items()
            for statement in uncited_statements(text)],
            "None: every statement in the design cites a passage.")
    else:
        out += _heading("The design is missing", [
            "no design is on the blackboard (its task failed or did not run), so the answer "
            "has no outline"], "")
    return "\n".join(out)


def _disagreeing(sections: Sequence[Section]) -> list[str]:
    every = [p for s in sections for p in s.as_passages()]
    return [f"{cite(first.citation)} \"{lead(first.text)}\" — against "
            f"{cite(second.citation)} \"{lead(second.text)}\" (one negates what the other "
            "states: read both before relying on either)"
            for first, second in disagreements(every)]


def _heading(title: str, items: list[str], when_none: str) -> list[str]:
    body = [f"- {item}" for item in items] or [when_none]
    return [f"## {title}", "", *body, ""]


class Critique(FindingsSkill):
    """Say what the design lacks, from the design and the findings."""

    name = "critique"
    roles = (CRITIC,)
    reading = "reading the design and the findings"

    async def write(self, ctx: SwarmContext, given: DownstreamInput, sections: list[Section]
                    ) -> SkillResult:
        designs = {path: ctx.blackboard.read(path)
                   for path in latest_outputs(ctx.blackboard.list(DESIGNS))}
        text = render_critique(given.request, sections, designs)
        review = await model_review(ctx, given.request, designs, sections)
        if review.text is not None:
            text += "\n".join(["", f"## {MODEL_REVIEW}", "", review.text, ""])
        text = with_note(text, review.note)
        path = ctx.blackboard.write_output(CRITIQUES, "critique", text,
                                               sources=sorted(designs))
        points = sum(1 for line in text.split("\n") if line.startswith("- "))
        await ctx.progress(1.0, f"{points} points raised")
        return SkillResult(summary=f"{points} points raised", files=[path],
                           data={"points": points, "designs": sorted(designs)})
