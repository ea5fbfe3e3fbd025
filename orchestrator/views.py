"""The commands that look at a workspace: sessions, status, blackboard, workers, skills."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from orchestrator.pids import worker_is_gone, worker_is_silent
from orchestrator.workspace import Workspace
from skills import SkillRegistry
from skills.isolation import check_in_child
from skills.writing.usage_footer import describe_usage
from taskqueue import Session, Store, SwarmError, Task, TaskStatus, UsageTotals, error_headline
from taskqueue.printable import printable

# The parent of every logger of the skills package (the registry's among them).
SKILLS_LOGGER = "skills"


def age(since: float) -> str:
    seconds = max(0, int(time.time() - since))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    cells = [[str(c) for c in headers], *[[printable(str(c)) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


async def task_counts(store: Store) -> defaultdict[str, Counter[str]]:
    """Every session's tasks counted by status, in one query; a session without tasks
    counts none."""
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in await store.counts():
        counts[row.session_id][row.status] += row.count
    return counts


async def show_sessions(store: Store, as_json: bool) -> None:
    counts = await task_counts(store)
    rows = [(session, counts[session.id][TaskStatus.DONE], sum(counts[session.id].values()))
            for session in await store.list_sessions()]
    if as_json:
        emit_json([{**s.model_dump(exclude={"options"}), "done": d, "total": t}
                   for s, d, t in rows])
        return
    if not rows:
        click.echo("no sessions yet: start one with  swarm run \"REQUEST\"")
        return
    click.echo(table(
        [(s.id, s.status, f"{d}/{t}", age(s.created_at), _first_line(s.request, 50))
         for s, d, t in rows],
        ("SESSION", "STATUS", "DONE", "AGE", "REQUEST")))


def _first_line(text: str, width: int) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


async def show_status(store: Store, session: Session, as_json: bool) -> None:
    tasks = await store.list_tasks(session.id)
    usage = await store.llm_usage(session.id)
    if as_json:
        emit_json({"session": session.model_dump(exclude={"options"}),
                   "tasks": [t.model_dump(exclude={"input", "result", "checkpoint"})
                             for t in tasks],
                   "usage": usage.model_dump(mode="json")})
        return
    click.echo(f"session {session.id}  {session.status}  started {age(session.created_at)} ago")
    headers: tuple[str, ...] = ("ID", "ROLE", "SKILL", "STATUS", "ATTEMPTS", "TIME",
                                "TITLE / ERROR")
    rows = [_task_row(t) for t in tasks]
    if usage.total.calls:
        # Only a session that used a model shows its usage: offline output is unchanged.
        click.echo(f"model: {describe_usage(usage.total)}")
        headers = (*headers[:-1], "MODEL", headers[-1])
        rows = [(*row[:-1], _usage_cell(usage.by_task.get(t.id)), row[-1])
                for t, row in zip(tasks, rows, strict=True)]
    click.echo(table(rows, headers))


def _usage_cell(totals: UsageTotals | None) -> str:
    """`2 calls 350/120 tok 1.4s` (tokens in/out), `-` for a task that made none."""
    if totals is None or not totals.calls:
        return "-"
    failed = f" ({totals.failed} failed)" if totals.failed else ""
    return (f"{totals.calls} call{'s' if totals.calls != 1 else ''}{failed} "
            f"{totals.tokens_in}/{totals.tokens_out} tok {totals.latency_s:.1f}s")


def _task_row(task: Task) -> tuple[object, ...]:
    if task.started_at and task.finished_at:
        took = f"{task.finished_at - task.started_at:.1f}s"
    elif task.started_at and task.status == "running":
        took = age(task.started_at)
    else:
        took = "-"
    headline = error_headline(task.error) if task.status != "done" else ""
    detail = headline or task.title
    return (task.id, task.role, task.skill or "-", task.status,
            f"{task.attempt}/{task.max_attempts}", took, _first_line(detail, 70))


def show_blackboard(ws: Workspace, session: Session, path: str | None) -> None:
    board = ws.board(session.id)
    if not board.exists():
        raise SwarmError(f"session {session.id} has no blackboard yet")
    if path is None:
        click.echo(board.tree())
    else:
        click.echo(board.read_text(path), nl=False)


async def show_workers(store: Store, as_json: bool, heartbeat_timeout_s: float) -> None:
    """The workers registered as live, less those whose process is gone (they died
    unannounced); one silent for longer than `heartbeat_timeout_s` is marked so."""
    now = time.time()
    workers = [w for w in await store.list_workers() if not worker_is_gone(w)]
    silent = {w.id for w in workers if worker_is_silent(w, now, heartbeat_timeout_s)}
    if as_json:
        emit_json([{**w.model_dump(), "silent": w.id in silent} for w in workers])
        return
    if not workers:
        click.echo("no live workers")
        return
    click.echo(table(
        [(w.id, w.role, w.host or "-", w.pid, w.session_id or "all", len(w.running),
          f"{age(w.heartbeat_at)} ago" + (", silent" if w.id in silent else ""),
          f"{w.rss_mb:.0f} MB" if w.rss_mb else "-")
         for w in workers],
        ("WORKER", "ROLE", "HOST", "PID", "SESSION", "RUNNING", "HEARTBEAT", "MEMORY")))


def show_skills(ws: Workspace, skills_dirs: list[Path], as_json: bool) -> int:
    for directory in skills_dirs:
        if not directory.is_dir():
            raise SwarmError(f"--skills-dir {directory}: no such directory")
    with _skill_warnings_muted():
        # Absolute, as the home is: a directory given relative that is also the home's
        # `skills/` is then read once, not twice under two names.
        registry = SkillRegistry.standard([d.absolute() for d in skills_dirs], ws.home,
                                          check_file=check_in_child)
    specs, failures = registry.specs(), registry.failures
    if as_json:
        emit_json({"skills": [{"name": s.name, "kind": s.kind, "roles": list(s.roles),
                               "origin": s.origin} for s in specs],
                   "failures": [{"origin": f.origin, "error": f.error} for f in failures]})
    else:
        click.echo(table([(s.name, s.kind, ",".join(s.roles) or "any", s.origin)
                          for s in specs], ("SKILL", "KIND", "ROLES", "ORIGIN")))
        for failure in failures:
            click.echo(f"failed to load: {printable(failure.error)}", err=True)
    return 1 if failures else 0


@contextlib.contextmanager
def _skill_warnings_muted() -> Iterator[None]:
    """`skills` lists each load failure itself: the registry's warning about it would
    print it a second time. Errors still get through."""
    skills_logger = logging.getLogger(SKILLS_LOGGER)
    level = skills_logger.level
    skills_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        skills_logger.setLevel(level)
