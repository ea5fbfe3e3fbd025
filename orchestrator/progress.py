"""Showing a running session: a live block on a terminal, plain lines otherwise, or JSON."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from orchestrator.follow import Progress
from orchestrator.unserved_roles import WORKER_WANTED
from taskqueue import Message, error_headline
from taskqueue.printable import printable

STATUS_ORDER = ("blocked", "queued", "running", "done", "failed", "dead", "cancelled")
# Messages worth a line of their own in plain output.
PLAIN_KINDS = {
    "task.started": "started",
    "task.done": "done",
    "task.failed": "failed",
    "task.dead": "dead",
    "task.requeued": "requeued",
    "task.cancelled": "cancelled",
    "worker.crashed": "crashed",
    "skill.load_failed": "skill file failed",
    WORKER_WANTED: "waiting",
}


def clock(seconds: float) -> str:
    """`MM:SS`, or `H:MM:SS` from an hour on."""
    whole = max(0, int(seconds))
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes:02d}:{secs:02d}"
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def elapsed(since: float) -> str:
    return clock(time.time() - since)


def stamp(message: Message, progress: Progress) -> str:
    """`[MM:SS]`: when the message was sent, counted from the session's start."""
    return f"[{clock(message.time - progress.started)}]"


def describe(message: Message) -> str | None:
    """One line for a message, or None for those not worth one."""
    body = message.body
    label = PLAIN_KINDS.get(message.kind)
    if label is None:
        return None
    if message.kind == "task.started":
        return (f"task {body['task_id']} started: {body['role']}/{body.get('skill') or '-'} "
                f"attempt {body['attempt']} on {body['worker']}")
    if message.kind == "task.cancelled":
        return f"tasks {body['task_ids']} cancelled: {body['reason']}"
    if message.kind == WORKER_WANTED:
        return f"waiting for a worker of role {body.get('role')!r}: {body.get('hint', '')}"
    if message.kind == "skill.load_failed":
        return f"worker {body['worker']}: {error_headline(body['error'])}"
    if message.kind == "worker.crashed":
        return f"worker {body['worker']} {body['reason']}; released {body['released']}"
    if message.kind == "task.failed":
        retry = "retry scheduled" if body.get("retry_at") else "no retry"
        return f"task {body['task_id']} failed ({retry}): {error_headline(body.get('error'))}"
    if message.kind == "task.requeued":
        return f"task {body['task_id']} requeued: {body['reason']}"
    if message.kind == "task.dead":
        return (f"task {body['task_id']} dead after attempt {body['attempt']}: "
                f"{error_headline(body.get('error'))}")
    return f"task {body['task_id']} {label}"


def human_lines(message: Message, progress: Progress) -> list[str]:
    """For a task of role human just queued: how to answer it."""
    if message.kind != "task.queued":
        return []
    return [f"task {task_id} waits for a human ({progress.humans[task_id]}): "
            f'swarm answer {task_id} "..."'
            for task_id in message.body["task_ids"] if task_id in progress.humans]


def waiting_line(role: str, hint: str) -> str:
    return f"no worker for role {role} yet: {hint}"


def status_line(progress: Progress) -> str:
    totals = progress.totals
    parts = [f"{s} {totals[s]}" for s in STATUS_ORDER if totals.get(s)]
    return f"[{clock(progress.seconds_in())}] " + (" · ".join(parts) or "starting")


class PlainRenderer:
    """A line per event, for logs and pipes."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out
        self._last_status = ""
        # The roles waiting for a worker that a line has told of, with the hint it gave.
        self._told_waiting: dict[str, str] = {}

    def event(self, message: Message, progress: Progress) -> None:
        for line in [describe(message), *human_lines(message, progress)]:
            if line:
                print(f"{stamp(message, progress)} {printable(line)}", file=self._out, flush=True)
        if message.kind == WORKER_WANTED:
            # Its line told of the wait: the snapshot's note would say it again.
            role = str(message.body.get("role"))
            self._told_waiting[role] = progress.waiting_roles.get(role, "")

    def snapshot(self, progress: Progress) -> None:
        moment, line = status_line(progress).split(" ", 1)
        # Once per wait: a role that waits again later is told of again.
        for role, hint in sorted(progress.waiting_roles.items()):
            if self._told_waiting.get(role) != hint:
                print(f"{moment} {printable(waiting_line(role, hint))}", file=self._out,
                      flush=True)
        self._told_waiting = dict(progress.waiting_roles)
        if line != self._last_status:
            self._last_status = line
            print(f"{moment} tasks: {line}", file=self._out, flush=True)


class JsonRenderer:
    """Every message as one JSON line."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out

    def event(self, message: Message, progress: Progress) -> None:
        print(message.model_dump_json(), file=self._out, flush=True)

    def snapshot(self, progress: Progress) -> None:
        return None

    def line(self, **fields: object) -> None:
        print(json.dumps(fields, default=str), file=self._out, flush=True)


class LiveRenderer:
    """A block redrawn in place: tasks by status and role, what each worker is doing."""

    def __init__(self, out: TextIO = sys.stdout, min_interval_s: float = 0.2) -> None:
        self._out = out
        self._drawn_lines = 0
        self._last_draw = 0.0
        self._min_interval_s = min_interval_s
        self._notes: list[str] = []

    def event(self, message: Message, progress: Progress) -> None:
        if message.kind in ("task.failed", "task.dead", "worker.crashed"):
            line = describe(message)
            if line:
                self._notes.append(f"{stamp(message, progress)} {line}")
        for line in human_lines(message, progress):
            self._notes.append(f"{stamp(message, progress)} {line}")

    def snapshot(self, progress: Progress, *, force: bool = False) -> None:
        now = time.monotonic()
        # The last frame is always drawn: a session that ends within the interval would
        # otherwise leave an earlier state on the screen.
        if not force and not progress.finished and now - self._last_draw < self._min_interval_s:
            return
        self._last_draw = now
        lines = [status_line(progress)]
        for role in sorted(progress.by_role):
            counts = progress.by_role[role]
            done = counts.get("done", 0)
            lines.append(f"  {role:<12} {done}/{sum(counts.values())} done")
        for task in sorted(progress.running.values(), key=lambda t: t.task_id):
            share = f" {task.fraction:.0%}" if task.fraction is not None else ""
            note = f" {task.note}" if task.note else ""
            lines.append(f"    #{task.task_id} {task.role}/{task.skill or '-'} on "
                         f"{task.worker} for {elapsed(task.started)}{share}{note}")
        for role, hint in sorted(progress.waiting_roles.items()):
            lines.append(f"    {waiting_line(role, hint)}")
        for task_id in sorted(progress.humans):
            lines.append(f'    #{task_id} waits for a human: swarm answer {task_id} "..."')
        # Move up over the last block and clear it, print new notes, then the block.
        erase = f"\x1b[{self._drawn_lines}F\x1b[J" if self._drawn_lines else ""
        text = "\n".join(printable(line) for line in [*self._notes, *lines])
        self._notes.clear()
        print(erase + text, file=self._out, flush=True)
        self._drawn_lines = len(lines)
