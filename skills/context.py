"""`TaskContext`: the `SwarmContext` a swarm-aware skill gets for one attempt of a task."""

from __future__ import annotations

import asyncio
import builtins
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from blackboard import Blackboard, FrontMatter
from blackboard.appending import AppendsOf
from skills.llm import ChatModel
from taskqueue import NewTask, Store, SwarmError, Task, session_channel
from taskqueue.messages import BODY_TYPES, BlackboardWritten

if TYPE_CHECKING:
    from skills.corpus_snapshots import SnapshotCorpora

MAX_NOTE_CHARS = 1_000
"""A progress note longer than this is cut, with `NOTE_CUT` at its end: it is stored in
the task and sent on the bus with every report."""
NOTE_CUT = " …[cut]"
MAX_PUBLISHED_BYTES = 65_536
"""The most a body `ctx.publish` sends may hold, as JSON: every reader of the session's
channel (`watch`, the board) reads every message."""


def capped_note(note: str) -> str:
    if len(note) <= MAX_NOTE_CHARS:
        return note
    return note[:MAX_NOTE_CHARS - len(NOTE_CUT)] + NOTE_CUT


class SessionBlackboard:
    """The session's blackboard as a skill sees it: paths relative to the session, every
    file stamped with this task's provenance, and every write announced on the bus.

    With `shared`, the worker is on a host that shares only the store: each file written
    here is also put in the store (before it is announced), whence the orchestrator's
    host copies it; `board` is then this host's copy of the session's files.
    """

    def __init__(self, board: Blackboard, base: FrontMatter, store: Store, sender: str,
                 *, shared: bool = False) -> None:
        self._board = board
        self._shared = shared
        self._base = base
        self._store = store
        self._sender = sender
        self._loop = asyncio.get_running_loop()
        self._announcing: set[asyncio.Task[None]] = set()
        self._appends = AppendsOf(board, base.task)
        self.written: builtins.list[str] = []

    def read(self, path: str) -> str:
        return self._board.read(path).body

    def list(self, folder: str = "") -> builtins.list[str]:
        return self._board.list(folder)

    def write(self, path: str, text: str, sources: builtins.list[str] | None = None) -> str:
        """Write `text` at `path` in the session; returns the path written."""
        meta = self._base.model_copy(update={"sources": list(sources or [])})
        return self._written_whole(self._board.write(path, text, meta))

    def append(self, path: str, text: str, *, first: bool = False, last: bool = False) -> str:
        """Add `text` to the end of a file this task wrote at `path`; returns the path.

        For a file that grows while the task runs (an agent's trace): each addition is
        neither fsynced nor announced nor put in the store. The `last` one is all three,
        as a `write` of the whole file would be. The `first` one starts the file: written
        as `write` writes it (front matter, refused for another task's file) but in place
        and not fsynced, and announced. The file stays open between additions (its checks
        made once), until the `last` or the task's end."""
        if first:
            if last:
                raise ValueError("append: a file both started and ended at once is a write")
            return self._written(self._appends.start(path, text, self._base))
        relative = self._appends.add(path, text, last=last)
        return self._written(relative) if last else relative

    def write_shared(self, path: str, text: str) -> str:
        """Write a session document that several tasks keep up to date (`plan.md`, whose
        follow-ups the researchers add): stamped with this worker and skill but no task,
        so a later task may rewrite it. Returns the path written."""
        meta = self._base.model_copy(update={"task": None, "attempt": None, "title": None})
        return self._written_whole(self._board.write(path, text, meta))

    def write_output(self, folder: str, stem: str, text: str,
                     sources: builtins.list[str] | None = None) -> str:
        """Write under a name unique to this task and attempt; returns the path written."""
        meta = self._base.model_copy(update={"sources": list(sources or [])})
        return self._written_whole(self._board.write_output(folder, stem, text, meta))

    def close(self) -> None:
        """Close the files held open for appends (the task has ended)."""
        self._appends.close()

    def _written_whole(self, location: Path) -> str:
        relative = location.relative_to(self._board.path).as_posix()
        # An addition after this goes to the new file, not to the one it replaced.
        self._appends.replaced(relative)
        return self._written(relative)

    def _written(self, relative: str) -> str:
        self.written.append(relative)
        # Read now, on the writer's thread: the text as this write left it.
        text = self._board.read_text(relative) if self._shared else None
        # Skills may write from a worker thread; the bus is reached from the event loop.
        self._loop.call_soon_threadsafe(self._announce, relative, text)
        return relative

    def _announce(self, relative: str, text: str | None) -> None:
        task = self._loop.create_task(self._put_and_announce(relative, text))
        self._announcing.add(task)

    async def _put_and_announce(self, relative: str, text: str | None) -> None:
        session_id = self._board.session_id
        if text is not None:
            await self._store.put_blackboard_file(session_id, relative, text)
        body = BlackboardWritten(session_id=session_id, path=relative, task_id=self._base.task)
        await self._store.publish(session_channel(session_id), body, sender=self._sender)

    async def drain(self) -> None:
        """Wait until every write so far has been announced."""
        await asyncio.sleep(0)  # let announcements scheduled from threads start
        while self._announcing:
            pending, self._announcing = self._announcing, set()
            await asyncio.gather(*pending)


class TaskContext:
    """Where a skill runs, and what it may do there (docs/interfaces.md, "Skill files")."""

    def __init__(
        self, store: Store, task: Task, *, worker_id: str, skill: str, board: Blackboard,
        llm: ChatModel | None = None, board_shared: bool = False,
        corpora: SnapshotCorpora | None = None,
    ) -> None:
        self._store = store
        self._corpora = corpora
        self._task = task
        self._worker_id = worker_id
        self._cancelled = False
        self.input: dict[str, Any] = dict(task.input)
        # Set by `run_skill` once the input is validated against the skill's input model.
        self.params: BaseModel | None = None
        self.task_id = task.id
        self.session_id = task.session_id
        self.role = task.role
        self.attempt = task.attempt
        self.restored: Any = task.checkpoint
        self.llm = llm
        self._fraction = 0.0
        base = FrontMatter(task=task.id, role=task.role, skill=skill, worker=worker_id,
                           attempt=task.attempt, title=task.title or None)
        self.blackboard = SessionBlackboard(board, base, store, worker_id, shared=board_shared)

    @property
    def cancelled(self) -> bool:
        """True once the session or this task is being cancelled."""
        return self._cancelled

    def mark_cancelled(self) -> None:
        self._cancelled = True

    async def corpus_paths(self, corpus: str, index: str) -> tuple[Path, Path]:
        """Where this host reads the corpus directory and index file the task names: the
        session's corpus snapshot, built here from the store, on a host that shares only
        the store; else the paths as given."""
        if self._corpora is None:
            return Path(corpus), Path(index)
        return await self._corpora.locate(self.session_id, corpus, index)

    async def progress(self, fraction: float, note: str = "", *,
                       message: tuple[str, dict[str, Any]] | None = None) -> None:
        """Report how far the task is; with `message` (a kind and a body, as `publish`
        takes them), publish it in the same write."""
        kind, body = message if message is not None else (None, None)
        if kind is not None and body is not None:
            _check_message(kind, body)
        self._fraction = fraction
        await self._store.report_progress(self.task_id, self.attempt, fraction,
                                          capped_note(note), publish=body, kind=kind)

    async def progress_note(self, note: str) -> None:
        """A new note at the fraction reported last (the model streaming an answer)."""
        await self.progress(self._fraction, note)

    async def publish(self, kind: str, body: dict[str, Any]) -> None:
        _check_message(kind, body)
        await self._store.publish(session_channel(self.session_id), body, kind=kind,
                                  sender=self._worker_id)

    async def enqueue(
        self, *, role: str, skill: str | None = None,
        input: dict[str, Any] | None = None,  # noqa: A002 - the name docs/interfaces.md gives
        priority: int = 0, depends_on: list[int] | None = None, title: str = "",
        key: str | None = None, before: list[int] | None = None, run_on_partial: bool = False,
    ) -> int:
        """Add a follow-up task to this session; returns its id. The tasks in `before`
        (queued or blocked) wait for it too (`Store.enqueue_plan`)."""
        if not role.strip() or role != role.strip() or not role.isprintable():
            # No worker can be started with such a `--role`: the task would wait forever.
            raise SwarmError(f"ctx.enqueue: role {role!r} is refused: use a word, "
                             "e.g. researcher")
        return await self._store.enqueue(self.session_id, NewTask(
            role=role, skill=skill, input=input or {}, priority=priority,
            depends_on=list(depends_on or []), title=title, key=key,
            before=list(before or []), run_on_partial=run_on_partial,
        ))

    async def enqueue_plan(self, tasks: list[NewTask]) -> list[int]:
        """Add several follow-up tasks atomically (dependencies by `key` in the batch)."""
        return await self._store.enqueue_plan(self.session_id, tasks)

    async def session_tasks(self) -> list[Task]:
        """Every task of this session, with status, attempts and errors."""
        return await self._store.list_tasks(self.session_id)

    async def checkpoint(self, state: Any) -> None:
        """Save state that a later attempt of this task receives as `ctx.restored`."""
        await self._store.save_checkpoint(self.task_id, self.attempt, state)


def _check_message(kind: str, body: dict[str, Any]) -> None:
    """Refuse a message a skill may not publish: one of swarm's own kinds, or too big."""
    if kind in BODY_TYPES:
        raise SwarmError(f"message kind {kind!r} is swarm's own; choose another name")
    size = len(json.dumps(body, ensure_ascii=False, default=str).encode())
    if size > MAX_PUBLISHED_BYTES:
        raise SwarmError(f"message {kind!r}: its body is {size:,} bytes as JSON; the limit "
                         f"is {MAX_PUBLISHED_BYTES:,} (write big results to the blackboard)")
