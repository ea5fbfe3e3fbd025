"""`synthesize`: `final/report.md`, the answer by sub-question with citations, what a
human answered, what is missing and why, and the tasks that failed or died.

It runs on partial input: any findings, the analysis, the design or the critique may be
absent because their task died, and the report then says so instead of failing.

With a model, the model writes the answer by sub-question (its citations checked against
the findings) and the rest is as offline; the report ends with the session's model usage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from blackboard.layout import CRITIQUES, DESIGNS, FINAL_REPORT
from skills.contracts import BlackboardView, SkillResult, SwarmContext
from skills.offline import keywords
from skills.offline.evidence import missing_terms
from skills.offline.identifiers import question_terms
from skills.roles import COORDINATOR, RESEARCHER
from skills.writing.common import DownstreamInput, latest_outputs, one_line
from skills.writing.report_points import evidence_line, quoted_points, where_to_look
from skills.writing.sections import FindingsSkill, Section, question_key
from skills.writing.usage_footer import render_usage
from skills.writing.with_model import model_report_body
from taskqueue import HUMAN_ROLE, Task, TaskStatus, error_headline

__all__ = ["Synthesize", "critique_points", "render_model_report",
           "render_report"]

REPORT_POINTS = 5
# Definitions and callers that chases found, shown after a section's points.
CHASED_POINTS = 6
# The critique's own list of sections without evidence repeats what the report says.
_SKIPPED_CRITIQUE_SECTIONS = {"Sub-questions without evidence"}
_HEADING = re.compile(r"## (?P<title>.+)")
_POINT_CITATION = re.compile(r"^- .*?\[([^\[\]\n]+:\d+(?:-\d+)?)\]")


def critique_points(critique: str) -> list[tuple[str, str]]:
    """The list items of a critique, each with the `## ` heading it stands under."""
    found: list[tuple[str, str]] = []
    heading = ""
    for line in critique.split("\n"):
        match = _HEADING.fullmatch(line.strip())
        if match:
            heading = match["title"].strip()
        elif line.startswith("- ") and heading not in _SKIPPED_CRITIQUE_SECTIONS:
            found.append((heading, line[2:].strip()))
    return found


def render_report(request: str, sections: Sequence[Section], tasks: Sequence[Task],
                  critiques: dict[str, str], note: str = "") -> str:
    """The report's text. `tasks` are the session's other tasks; `critiques` maps each
    critique file read to its text; `note` says why a model did not write it."""
    title = one_line(request) or "Report"
    used = [p for s in sections for p in (*s.passages[:REPORT_POINTS], *s.chased[:CHASED_POINTS])]
    files = {p.path for p in used}
    cited = [c for s in sections for c in _point_citations(s)]
    out = [f"# {title}", "",
           f"_Assembled offline from the findings of {_count(len(sections), 'sub-question')}: "
           f"{_count(len(used), 'passage')} from {_count(len(files), 'file')} of the corpus. "
           "Each statement cites its source as [file:lines]._", ""]
    if note:
        out += [note, ""]
    for section in sections:
        shown = section.passages[:REPORT_POINTS]
        out += [f"## {section.number}. {section.question}", ""]
        if not shown:
            out += ["_No evidence found: see \"What is missing and why\"._", ""]
            continue
        chased = section.chased[:CHASED_POINTS]
        out += [f"**Where to look:** {where_to_look([*shown, *chased])}", "",
                f"_Evidence: {evidence_line(section, shown)}._", ""]
        out += quoted_points(shown, section.question)
        out += _chased_points(section)
        out.append("")
    out += _closing(sections, tasks, critiques, cited)
    return "\n".join(out)


def _chased_points(section: Section) -> list[str]:
    """What the chases found: each identifier's definition and nearest caller, quoted."""
    if not section.chased:
        return []
    names = ", ".join(f"`{name}`" for name in section.chased_names)
    return ["", f"Definitions the researchers chased ({names}), and their nearest callers:",
            # No question: a definition is quoted from its first line, its signature.
            "", *quoted_points(section.chased[:CHASED_POINTS], "")]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _point_citations(section: Section) -> list[str]:
    """The citations of a section's points as shown (a long code quote cites its window)."""
    lines = quoted_points(section.passages[:REPORT_POINTS], section.question)
    lines += _chased_points(section)
    return [m.group(1) for line in lines if (m := _POINT_CITATION.search(line))]


def render_model_report(request: str, body: str, citations: Sequence[str],
                        sections: Sequence[Section], tasks: Sequence[Task],
                        critiques: dict[str, str]) -> str:
    """The report around the answer the model wrote (`citations`: those it used)."""
    files = {c.rsplit(":", 1)[0] for c in citations}
    out = [f"# {one_line(request) or 'Report'}", "",
           f"_Written by the model from the findings of {len(sections)} sub-questions, "
           f"citing {len(citations)} passages from {len(files)} files of the corpus as "
           "[file:lines]; every citation was checked against the findings._", "", body, ""]
    out += _closing(sections, tasks, critiques, citations)
    return "\n".join(out)


def _closing(sections: Sequence[Section], tasks: Sequence[Task], critiques: dict[str, str],
             citations: Sequence[str]) -> list[str]:
    """What a human answered, what is missing, what failed, and the sources cited."""
    out = _human_answers(tasks)
    out += ["## What is missing and why", "", *_missing(sections, tasks, critiques), ""]
    failed = _failed(tasks)
    if failed:
        out += ["## Tasks that failed or died", "", *failed, ""]
    out += ["## Sources", ""]
    out += [f"- `{c}`" for c in dict.fromkeys(citations)] or [
        "No source: nothing was found in the corpus."]
    out.append("")
    return out


def _human_answers(tasks: Sequence[Task]) -> list[str]:
    """Each answered human task's question and its answer, quoted whole: a human's word
    (an approval, a correction) belongs in the report, not only on the blackboard."""
    out: list[str] = []
    for task in sorted(tasks, key=lambda t: t.id):
        answer = task.result.get("answer") if isinstance(task.result, dict) else None
        if task.role != HUMAN_ROLE or task.status != TaskStatus.DONE or not isinstance(
                answer, str):
            continue
        out += [f"**#{task.id} {one_line(task.title) or 'A question to a human'}** "
                f"(`{task.result.get('file', '')}`)", ""]
        out += ["> " + line if line.strip() else ">" for line in answer.strip().splitlines()]
        out.append("")
    return ["## What a human answered", "", *out] if out else []


def _missing(sections: Sequence[Section], tasks: Sequence[Task],
             critiques: dict[str, str]) -> list[str]:
    lines = [f"- {s.number}. {s.question} — {_why_no_evidence(s, tasks)}"
             for s in sections if not s.passages]
    lines += [f"- {s.number}. {s.question} — the passages shown do not contain: "
              f"{', '.join(missing)}." for s in sections if s.passages and (
                  missing := missing_terms([p.as_passage() for p in s.passages[:REPORT_POINTS]],
                                           question_terms(s.question)))]
    if not sections:
        lines.append("- No findings are on the blackboard: no research task succeeded.")
    for path, text in critiques.items():
        lines += [f"- {heading} (from {path}): {item}" for heading, item in critique_points(text)]
    if not critiques:
        lines.append("- No critique is on the blackboard: the outline was not reviewed "
                     "(the critic's task failed or did not run).")
    # Covering every term is a measure of words, not a proof that the answer is whole.
    return lines or ["The passages shown hold every key term of every sub-question, and "
                     "the critique raised no point; words are not understanding, so read "
                     "the sources before relying on the answer."]


def _why_no_evidence(section: Section, tasks: Sequence[Task]) -> str:
    for task in _research_tasks(tasks, section.question):
        if task.status.is_terminal and task.status != TaskStatus.DONE:
            return f"its research task #{task.id} ended {task.status.value}: {_why_ended(task)}"
        if not task.status.is_terminal:
            return f"its research task #{task.id} is still {task.status.value}."
    terms = ", ".join(keywords(section.question)[:8]) or "none"
    return f"no passage of the corpus matches its keywords ({terms})."


def _research_tasks(tasks: Sequence[Task], question: str) -> list[Task]:
    key = question_key(question)
    return [t for t in tasks if t.role == RESEARCHER and key in {
        question_key(t.title), question_key(str(t.input.get("question", ""))),
        question_key(str(t.input.get("query", "")))}]


def _failed(tasks: Sequence[Task]) -> list[str]:
    lines = []
    for task in sorted(tasks, key=lambda t: t.id):
        if task.status == TaskStatus.DONE:
            continue
        title = f" \"{one_line(task.title)}\"" if task.title.strip() else ""
        if task.status.is_terminal:
            state = task.status.value
            if task.status == TaskStatus.DEAD:
                state = f"dead after {task.attempt} of {task.max_attempts} attempts"
            lines.append(f"- #{task.id} {task.role}{title} — {state}: {_why_ended(task)}")
        else:
            lines.append(f"- #{task.id} {task.role}{title} — still {task.status.value} when "
                         "the report was written")
    return lines


def _why_ended(task: Task) -> str:
    return error_headline(task.error) or "no error was recorded"


def researched(sections: Sequence[Section], tasks: Sequence[Task]) -> list[Section]:
    """The sections that are sub-questions: with passages, or with a research task.

    A `--plan` file's synthesis lists every task's title as a question; the titles of
    tasks that research nothing are not sub-questions of the answer.
    """
    kept = [s for s in sections if s.passages or _research_tasks(tasks, s.question)]
    return [replace(s, number=number) for number, s in enumerate(kept, start=1)]


def read_critiques(board: BlackboardView) -> dict[str, str]:
    return {path: board.read(path) for path in latest_outputs(board.list(CRITIQUES))}


def _latest_texts(board: BlackboardView, folder: str) -> str:
    return "\n\n".join(board.read(path) for path in latest_outputs(board.list(folder)))


class Synthesize(FindingsSkill):
    """Write the final report from whatever the session produced."""

    name = "synthesize"
    roles = (COORDINATOR,)
    reading = "reading the blackboard"

    async def write(self, ctx: SwarmContext, given: DownstreamInput, sections: list[Section]
                    ) -> SkillResult:
        everyone = await ctx.session_tasks()
        others = [t for t in everyone if t.id != ctx.task_id]
        sections = researched(sections, others)
        critiques = read_critiques(ctx.blackboard)
        written = await model_report_body(ctx, given.request, sections,
                                          _latest_texts(ctx.blackboard, DESIGNS),
                                          "\n\n".join(critiques.values()))
        if written.text is not None:
            text = render_model_report(given.request, written.text, written.citations,
                                       sections, others, critiques)
            sources = written.citations
        else:
            text = render_report(given.request, sections, others, critiques, written.note)
            sources = list(dict.fromkeys(c for s in sections for c in _point_citations(s)))
        if ctx.llm is not None:
            # Read after this task's own call, so the report counts every call made.
            usage = await ctx.llm.session_usage()
            text += render_usage(usage, everyone, ctx.llm.model_name)
        path = ctx.blackboard.write(FINAL_REPORT, text, sources=sources)
        unsuccessful = [t.id for t in others if t.status != TaskStatus.DONE]
        await ctx.progress(1.0, f"report written with {len(sources)} sources")
        return SkillResult(summary=f"report: {len(sections)} sections, {len(sources)} sources",
                           files=[path], data={"report": path, "sources": len(sources),
                                               "unsuccessful_tasks": unsuccessful})
