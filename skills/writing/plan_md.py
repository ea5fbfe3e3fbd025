"""`plan.md`: a plan's tasks as a table, then who waits for whom, then the follow-ups
that tasks enqueued while the session ran (the researchers' chases).

The planner writes it for its own plans, and the orchestrator for a `--plan` file's; a
task that enqueues follow-ups rewrites their section from the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from skills.writing.common import inline
from taskqueue import NewTask, Task

__all__ = ["FOLLOW_UPS_HEADING", "render_follow_ups", "render_plan_md"]

FOLLOW_UPS_HEADING = "## Follow-ups"


def render_plan_md(tasks: Sequence[NewTask]) -> str:
    """`plan.md`: the tasks as a table, then who waits for whom as an indented list."""
    labels = [t.key or f"#{i + 1}" for i, t in enumerate(tasks)]
    out = ["# Plan", "", f"{len(tasks)} tasks; a task starts when those it depends on are done.",
           "", "| key | role | skill | title | depends on |", "| --- | --- | --- | --- | --- |"]
    for label, t in zip(labels, tasks, strict=True):
        after = ", ".join(_dep_label(d) for d in t.depends_on) or "—"
        skill = t.skill or "(role default)"
        out.append(f"| {inline(label)} | {inline(t.role)} | {inline(skill)} | "
                   f"{inline(t.title) or '—'} | {inline(after)} |")
    out += ["", "## Dependencies", "", "```"]
    depths = _depths(labels, tasks)
    for label, t in sorted(zip(labels, tasks, strict=True), key=lambda p: depths[p[0]]):
        line = "  " * depths[label] + "- " + " ".join(label.split())
        if t.depends_on:
            line += "  ← " + ", ".join(" ".join(_dep_label(d).split()) for d in t.depends_on)
        if t.run_on_partial:
            line += "  (runs on partial input)"
        out.append(line)
    out += ["```", ""]
    return "\n".join(out)


def _dep_label(dep: str | int) -> str:
    return dep if isinstance(dep, str) else f"#{dep}"


def _depths(labels: list[str], tasks: Sequence[NewTask]) -> dict[str, int]:
    """Each task's longest chain of dependencies within the batch (0: depends on none).

    Iterative, and a cycle (refused before enqueueing anyway) cannot make it loop: a task
    is never counted deeper than the number of tasks.
    """
    deps = {label: [d for d in t.depends_on if isinstance(d, str) and d in labels]
            for label, t in zip(labels, tasks, strict=True)}
    depth = dict.fromkeys(labels, 0)
    for _ in range(len(labels)):
        changed = False
        for label, before in deps.items():
            wanted = max((depth[d] + 1 for d in before), default=0)
            if wanted > depth[label] and wanted < len(labels):
                depth[label] = wanted
                changed = True
        if not changed:
            break
    return depth


def render_follow_ups(tasks: Sequence[Task], skill: str) -> str:
    """The follow-ups section: each task of the session that runs `skill`, what it runs
    after, and the tasks that wait for it."""
    label = {t.id: t.key or f"#{t.id}" for t in tasks}
    chases = [t for t in tasks if t.skill == skill]
    waiting = {t.id: [label[w.id] for w in tasks if t.id in w.depends_on] for t in chases}
    out = [FOLLOW_UPS_HEADING, "",
           f"{len(chases)} tasks enqueued while the session ran; the tasks in the last "
           "column wait for them.", "",
           "| key | role | skill | title | after | before |",
           "| --- | --- | --- | --- | --- | --- |"]
    for t in chases:
        after = ", ".join(label.get(d, f"#{d}") for d in t.depends_on) or "—"
        before = ", ".join(waiting[t.id]) or "—"
        out.append(f"| {inline(label[t.id])} | {inline(t.role)} | {inline(t.skill or '')} | "
                   f"{inline(t.title) or '—'} | {inline(after)} | {inline(before)} |")
    return "\n".join([*out, ""])
