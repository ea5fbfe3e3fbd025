"""`analyze`: what the findings cover. Evidence per sub-question (strong, weak, none), and
the files and key terms that recur across them."""

from __future__ import annotations

from collections.abc import Sequence

from blackboard.layout import ANALYSIS
from skills.contracts import SkillResult, SwarmContext
from skills.offline import recurring_files, recurring_terms
from skills.roles import ANALYST
from skills.writing.common import DownstreamInput, inline, one_line
from skills.writing.sections import FindingsSkill, Section

__all__ = ["STRENGTH_RULE", "Analyze", "render_analysis"]

TOP_TERMS = 10
STRENGTH_RULE = (
    "_strong: the passages together hold at least three quarters of the sub-question's "
    "key terms (in their text, file path, symbol or section) and one of them holds at "
    "least half; weak: passages were found, but not so; none: no passage was found._"
)


def render_analysis(request: str, sections: Sequence[Section]) -> str:
    """The analysis file's text."""
    title = f"# Analysis: {one_line(request)}" if request.strip() else "# Analysis"
    out = [title, ""]
    if not sections:
        return "\n".join([*out, "No findings are on the blackboard: nothing to analyse.", ""])
    grades = [s.strength for s in sections]
    out += [f"{len(sections)} sub-questions: {grades.count('strong')} with strong evidence, "
            f"{grades.count('weak')} weak, {grades.count('none')} none.", "",
            "## Evidence per sub-question", ""]
    out += [f"{s.number}. {inline(s.question)} — {s.evidence}" for s in sections]
    out += ["", STRENGTH_RULE, "", "## Files that recur", ""]
    every = [p for s in sections for p in s.as_passages()]
    files = recurring_files(every)
    out += [f"- `{path}`: {count} passages" for path, count in files] or [
        "No file is cited by more than one passage."]
    unique = {p.citation: p for p in every}
    terms = recurring_terms([p.text for p in unique.values()], top=TOP_TERMS)
    out += ["", "## Key terms that recur", ""]
    out += [f"- {term}: in {count} of {len(unique)} passages" for term, count in terms] or [
        "No key term occurs in more than one passage."]
    out.append("")
    return "\n".join(out)


class Analyze(FindingsSkill):
    """Weigh the findings: evidence per sub-question, recurring files and terms."""

    name = "analyze"
    roles = (ANALYST,)

    async def write(self, ctx: SwarmContext, given: DownstreamInput, sections: list[Section]
                    ) -> SkillResult:
        sources = list(dict.fromkeys(p.citation for s in sections for p in s.passages))
        path = ctx.blackboard.write_output(
            ANALYSIS, "analysis", render_analysis(given.request, sections),
            sources=sources)
        await ctx.progress(1.0, f"{len(sections)} sub-questions weighed")
        return SkillResult(
            summary=", ".join(f"{s.number}: {s.strength}" for s in sections) or "no findings",
            files=[path], data={"strength": {s.question: s.strength for s in sections}})
