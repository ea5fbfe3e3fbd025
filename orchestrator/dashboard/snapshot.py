"""The JSON the page draws: the sessions, and one session's tasks, workers and files."""

from __future__ import annotations

import time
from typing import Any

from blackboard import FINAL_REPORT
from blackboard.layout import PATCHES, TRACES, task_file_path
from orchestrator.pids import worker_is_gone
from orchestrator.views import task_counts
from orchestrator.workspace import Workspace
from taskqueue import (
    HUMAN_ROLE,
    Session,
    Store,
    Task,
    TaskStatus,
    WorkerInfo,
    WorkerStatus,
    error_headline,
)

REQUEST_PREVIEW_CHARS = 200
LIVE_WORKERS = (WorkerStatus.RUNNING, WorkerStatus.STOPPING)


async def sessions_view(store: Store) -> list[dict[str, Any]]:
    """Every session, newest first, with its tasks counted by status."""
    counts = await task_counts(store)
    sessions = sorted(await store.list_sessions(), key=lambda s: s.created_at, reverse=True)
    return [{**_session(s), "counts": dict(counts[s.id]),
             "done": counts[s.id][TaskStatus.DONE],
             "total": sum(counts[s.id].values())} for s in sessions]


async def session_view(ws: Workspace, store: Store, prefix: str) -> dict[str, Any]:
    """One session as the board shows it.

    `last_event_id` is read before the state: the page follows the bus from there, so a
    change made while this was gathered arrives as an event instead of being missed.
    """
    session = await store.find_session(prefix)
    last_event_id = await store.last_message_id()
    tasks = await store.list_tasks(session.id)
    workers = await store.list_workers(include_stopped=True)
    board = ws.board(session.id)
    files = board.list() if board.exists() else []
    now = time.time()
    present = frozenset(files)
    return {
        "now": now,
        "last_event_id": last_event_id,
        "session": _session(session),
        "tasks": [task_view(t, now, present) for t in tasks],
        "workers": workers_view(workers, session.id, now),
        "blackboard": files,
        "report": FINAL_REPORT if FINAL_REPORT in files else None,
    }


def _session(session: Session) -> dict[str, Any]:
    request = session.request.strip()
    return {"id": session.id, "status": session.status.value,
            "request": request[:REQUEST_PREVIEW_CHARS] + ("…" if len(request) >
                                                          REQUEST_PREVIEW_CHARS else ""),
            "created_at": session.created_at, "finished_at": session.finished_at,
            "review": bool(session.options.get("review"))}


def task_view(task: Task, now: float, files: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A card: what it is, where it is, for how long, and why it stopped; `trace` and
    `patch` name its agent trace and its diff when `files` (the blackboard's) hold them."""
    trace = task_file_path(TRACES, task.id, ".md")
    patch = task_file_path(PATCHES, task.id, ".diff")
    question = task.input.get("question") if task.role == HUMAN_ROLE else None
    error = error_headline(task.error) if task.status is not TaskStatus.DONE else ""
    return {
        "id": task.id, "key": task.key, "role": task.role, "skill": task.skill,
        "title": task.title or task.key or f"task {task.id}", "status": task.status.value,
        "attempt": task.attempt, "max_attempts": task.max_attempts,
        "priority": task.priority, "depends_on": task.depends_on,
        "progress": task.progress, "progress_note": task.progress_note or "",
        "error": error or None,
        "worker": task.lease_owner, "created_at": task.created_at,
        "started_at": task.started_at, "finished_at": task.finished_at,
        "elapsed_s": _elapsed(task, now), "human": task.role == HUMAN_ROLE,
        "question": question if isinstance(question, str) else None,
        "trace": trace if trace in files else None,
        "patch": patch if patch in files else None,
    }


def _elapsed(task: Task, now: float) -> float | None:
    if task.started_at is None:
        return None
    if task.status is TaskStatus.RUNNING:
        return max(0.0, now - task.started_at)
    if task.finished_at is not None:
        return max(0.0, task.finished_at - task.started_at)
    return None


def workers_view(workers: list[WorkerInfo], session_id: str, now: float) -> list[dict[str, Any]]:
    """The latest worker of each slot serving this session (or every session).

    The supervisor names a slot's workers `<role>.<index>-<random>`, so the earlier
    records of a slot count its restarts; a worker started by hand has none known.
    """
    # A worker registered as live whose process is gone died unannounced: it is dead.
    workers = [w.model_copy(update={"status": WorkerStatus.DEAD})
               if w.status in LIVE_WORKERS and worker_is_gone(w) else w for w in workers]
    mine = [w for w in workers if w.session_id == session_id
            or (w.session_id is None and w.status in LIVE_WORKERS)]
    slots: dict[str, list[WorkerInfo]] = {}
    for worker in sorted(mine, key=lambda w: (w.started_at, w.id)):
        slots.setdefault(_slot(worker), []).append(worker)
    rows = []
    for slot, records in slots.items():
        latest = records[-1]
        rows.append({
            "id": latest.id, "slot": slot, "role": latest.role, "pid": latest.pid,
            "status": latest.status.value, "running": latest.running,
            "heartbeat_at": latest.heartbeat_at,
            "heartbeat_age_s": max(0.0, now - latest.heartbeat_at),
            "rss_mb": latest.rss_mb,
            "restarts": len(records) - 1 if slot != latest.id else None,
        })
    return sorted(rows, key=lambda r: (r["status"] not in LIVE_WORKERS, r["role"], r["slot"]))


def _slot(worker: WorkerInfo) -> str:
    head, sep, _ = worker.id.rpartition("-")
    return head if sep and head.startswith(f"{worker.role}.") else worker.id
