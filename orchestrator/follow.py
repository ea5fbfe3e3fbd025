"""Following a session on the bus until it ends, is interrupted, or runs out of time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from orchestrator.unserved_roles import WORKER_WANTED, unserved_roles
from taskqueue import (
    HUMAN_ROLE,
    WORKERS_CHANNEL,
    Message,
    SessionStatus,
    Store,
    TaskStatus,
    session_channel,
)

READ_BATCH = 500


class FollowEnd(StrEnum):
    FINISHED = "finished"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    TIMED_OUT = "timed out"


@dataclass
class RunningTask:
    task_id: int
    role: str
    skill: str | None
    worker: str
    attempt: int
    started: float
    fraction: float | None = None
    note: str = ""


@dataclass
class Progress:
    """What a follower knows: counts by status and role, and what runs where."""

    session_id: str
    # When the session started, and the time of the last message seen: an event is
    # stamped by its own time since the start, so a finished session reads as it ran.
    started: float
    latest: float | None = None
    by_role: dict[str, Counter[str]] = field(default_factory=dict)
    running: dict[int, RunningTask] = field(default_factory=dict)
    # Queued tasks of role human, by id: they wait for `swarm answer`.
    humans: dict[int, str] = field(default_factory=dict)
    # Roles whose ready tasks wait for a worker, and how to start one: from the
    # supervisor's `worker.wanted` until a task of the role starts, or, for a run without
    # workers of its own, read from the store at each snapshot (see `follow`).
    waiting_roles: dict[str, str] = field(default_factory=dict)

    @property
    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_role.values():
            total.update(counts)
        return total

    @property
    def finished(self) -> bool:
        totals = self.totals
        open_tasks = sum(n for s, n in totals.items() if not TaskStatus(s).is_terminal)
        return sum(totals.values()) > 0 and open_tasks == 0

    def seconds_in(self) -> float:
        """How long the session has run: until its last message once it is finished
        (watched later, it did not run on), else until now."""
        until = self.latest if self.finished and self.latest is not None else time.time()
        return until - self.started

    def track(self, message: Message) -> None:
        self.latest = message.time
        body = message.body
        if message.kind == WORKER_WANTED:
            self.waiting_roles[str(body.get("role"))] = str(body.get("hint", ""))
        elif message.kind == "task.started":
            self.waiting_roles.pop(body["role"], None)
            self.running[body["task_id"]] = RunningTask(
                body["task_id"], body["role"], body.get("skill"), body["worker"],
                body["attempt"], message.time)
        elif message.kind == "task.progress" and body["task_id"] in self.running:
            self.running[body["task_id"]].fraction = body["fraction"]
            self.running[body["task_id"]].note = body.get("note", "")
        elif message.kind in ("task.done", "task.failed", "task.dead", "task.requeued"):
            self.running.pop(body["task_id"], None)
            self.humans.pop(body["task_id"], None)
        elif message.kind == "task.cancelled":
            for task_id in body["task_ids"]:
                self.running.pop(task_id, None)
                self.humans.pop(task_id, None)


class Renderer(Protocol):
    def event(self, message: Message, progress: Progress) -> None: ...
    def snapshot(self, progress: Progress) -> None: ...


async def follow(
    store: Store, session_id: str, renderer: Renderer, *, stop: asyncio.Event,
    timeout_s: float | None = None, after: int | None = None, unserved_hint: str | None = None,
) -> tuple[FollowEnd, Progress]:
    """Show the session's messages and progress until it ends, `stop` is set, or time is up.

    From the session's first message, or with `after` from the message after that id: a
    reader who saw up to `after` gets every message it has not seen, and no other. With
    `unserved_hint` (a run with no workers of its own), the roles waiting for a worker are
    read from the store at each snapshot instead: those with ready tasks that no live
    worker serves, each with that hint.
    """
    session = await store.get_session(session_id)
    progress = Progress(session_id=session_id, started=session.created_at)
    deadline = time.monotonic() + timeout_s if timeout_s else None
    # Worker news from before we started belongs to other sessions' history, unless the
    # reader was following already and saw it up to `after`.
    workers_from = await store.last_message_id() if after is None else after
    offset = after or 0
    channels = [session_channel(session_id), WORKERS_CHANNEL]
    while True:
        seen = store.news_version
        messages = await store.read(channels, after=offset, limit=READ_BATCH)
        for message in messages:
            offset = message.id
            if message.channel == WORKERS_CHANNEL and message.id <= workers_from:
                continue
            if message.kind == "task.queued":
                await _note_humans(store, progress, message.body["task_ids"])
            progress.track(message)
            renderer.event(message, progress)
        if len(messages) == READ_BATCH:
            # A backlog (a session that has already ended, or a long wait): show all of
            # it before deciding whether the session is over.
            continue
        await _count(store, progress)
        if unserved_hint is not None:
            ready = [role for role, counts in progress.by_role.items()
                     if counts.get(TaskStatus.QUEUED)]
            progress.waiting_roles = dict.fromkeys(
                await unserved_roles(store, session_id, ready), unserved_hint)
        renderer.snapshot(progress)
        end = await _end_of(store, progress, stop, deadline)
        if end is not None:
            return end, progress
        await _wait(store, stop, seen)


async def _note_humans(store: Store, progress: Progress, task_ids: list[int]) -> None:
    for task_id in task_ids:
        task = await store.get_task(task_id)
        if task.role == HUMAN_ROLE:
            progress.humans[task_id] = task.title


async def _count(store: Store, progress: Progress) -> None:
    by_role: dict[str, Counter[str]] = {}
    for row in await store.counts(progress.session_id):
        by_role.setdefault(row.role, Counter())[row.status] = row.count
    progress.by_role = by_role


async def _end_of(
    store: Store, progress: Progress, stop: asyncio.Event, deadline: float | None
) -> FollowEnd | None:
    # Cancelling finishes every task too: ask about cancellation first.
    if (await store.get_session(progress.session_id)).status is SessionStatus.CANCELLED:
        return FollowEnd.CANCELLED
    if progress.finished:
        return FollowEnd.FINISHED
    if stop.is_set():
        return FollowEnd.INTERRUPTED
    if deadline is not None and time.monotonic() > deadline:
        return FollowEnd.TIMED_OUT
    return None


async def _wait(store: Store, stop: asyncio.Event, seen: int) -> None:
    waits = [asyncio.ensure_future(store.wait_for_news(1.0, seen)),
             asyncio.ensure_future(stop.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waits:
        waiter.cancel()
