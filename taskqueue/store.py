"""The storage protocol: the queue and the bus behind one small interface.

`SqliteStore` implements it on one machine; a backend on a distributed engine must pass
the same contract suite (`tests/support/store_contract.py`) unchanged. Task ids are integers
that grow with enqueue order; message ids grow with publish order and are the offsets
readers keep. docs/interfaces.md describes the protocol; docs/design.md why it is so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from taskqueue.messages import Body, Message
from taskqueue.models import (
    BoardFileCopy,
    Completion,
    NewTask,
    Session,
    SessionStatus,
    SessionUsage,
    StatusCount,
    Task,
    TaskStatus,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
)


class Store(Protocol):
    """What workers, the supervisor and the CLI need from storage.

    Fencing: a worker acts on a task through the attempt it claimed. `complete`, `fail`,
    `save_checkpoint` and `report_progress` take (task id, attempt) and change something
    only while that attempt still holds the task (running, lease not taken back); else
    they change nothing, publish nothing, and say so in their return value.

    Atomicity: every method that writes runs as one transaction, and the bus messages
    that report a change are written by that same transaction: the bus never disagrees
    with the queue. A refused write (an exception) leaves nothing behind.

    Every method may raise `StoreError` (the storage cannot be used), `StoreBusy` (a
    `StoreError`: locked by other writers past every retry) or `DiskFull` (a `StoreError`:
    nothing more can be recorded). A value that must be stored as JSON and cannot be
    raises `InvalidTask` naming the offending field. All are `SwarmError`s.
    """

    # sessions

    async def create_session(self, request: str, options: dict[str, Any]) -> Session:
        """Start a running session for `request` with `options`, under a new id, and
        publish `session.created` on its channel."""
        ...

    async def get_session(self, session_id: str) -> Session:
        """The session with that exact id; raises `UnknownSession`."""
        ...

    async def find_session(self, prefix: str) -> Session:
        """The one session whose id starts with `prefix` (a whole id works too).

        Raises `UnknownSession` when none does (or `prefix` is blank) and
        `AmbiguousSession` when several do.
        """
        ...

    async def list_sessions(self) -> list[Session]:
        """Every session, oldest first."""
        ...

    async def update_session_options(self, session_id: str, options: dict[str, Any]) -> None:
        """Replace the session's options (no message); raises `UnknownSession`."""
        ...

    async def finish_session(self, session_id: str, status: SessionStatus) -> bool:
        """Record the session's end with `status` and the time (RUNNING reopens it) and
        publish `session.done`; False, with nothing published, when the session already
        has that status or does not exist."""
        ...

    async def cancel_session(self, session_id: str, reason: str) -> int:
        """Cancel every unfinished task of the session (running attempts lose their
        lease, so their completions are refused) and mark a running session cancelled.

        Publishes `task.cancelled` and `session.done`; returns how many tasks were
        cancelled. Raises `UnknownSession`.
        """
        ...

    # tasks

    async def enqueue(self, session_id: str, task: NewTask) -> int:
        """`enqueue_plan` of one task; its id."""
        ...

    async def enqueue_plan(self, session_id: str, tasks: Sequence[NewTask]) -> list[int]:
        """Add a batch of tasks, all or none; their ids, ascending in batch order.

        `depends_on` names keys of the batch or ids of tasks already in the session. A task
        with dependencies starts blocked, the others queued (announced as `task.queued`);
        dependencies on tasks that already ended are decided at once.

        `before` names ids of tasks already in the session, queued or blocked, that wait
        for the new task too (a follow-up that a later stage must not start without): the
        edges are added in the same transaction, and a queued one goes back to blocked
        (announced as `task.blocked`); it is decided again when the new task ends, as
        for any dependency (a new task cancelled at once, a dependency having failed,
        cancels the tasks that wait for it unless they run on partial input).

        Raises `UnknownSession`; `InvalidTask` for a cycle (one `before` would close: a
        task the new one waits for, down the chain), a self-dependency, an unknown key or
        id (another session's ids are unknown), a `before` task that is running or has
        ended, a key used twice in the batch, an input that is not JSON or a `not_before`
        that is not a number; `DuplicateTaskKey` (an `InvalidTask`) for a key the session
        already has. An empty batch returns [].
        """
        ...

    async def claim(
        self,
        worker_id: str,
        roles: Sequence[str],
        limit: int = 1,
        *,
        lease_s: float,
        session_id: str | None = None,
    ) -> list[Task]:
        """Lease up to `limit` queued tasks of `roles` whose `not_before` has come (of one
        session if `session_id` is given): highest priority first, then oldest.

        Each starts a new attempt (counted in `attempt`), held by `worker_id` until
        `lease_s` from now, and is announced as `task.started`. Returns the claimed tasks
        in that order: [] when none is ready, `roles` is empty or `limit` < 1. Blocked,
        running and finished tasks are never claimed.
        """
        ...

    async def complete(self, task_id: int, attempt: int, result: Any = None) -> bool:
        """Finish the attempt with `result` (JSON): done, lease cleared, `task.done`
        published, and dependents whose dependencies have all ended decided.

        Fenced by (task id, attempt): False, with nothing changed, when that attempt no
        longer holds the task (lease taken back, cancelled, already completed) or no such
        task exists.
        """
        ...

    async def complete_many(self, completions: Sequence[Completion]) -> list[bool]:
        """`complete` for each, in one transaction; a bool per completion, in order.

        Each is fenced on its own; a (task, attempt) given twice counts once, for the
        first. A result that is not JSON refuses the whole batch (`InvalidTask`).
        """
        ...

    async def fail(
        self, task_id: int, attempt: int, error: str, *, retry: bool = True,
        retry_in: float | None = None,
    ) -> TaskStatus | None:
        """End the attempt with `error`; the task's new status.

        QUEUED when `retry` and attempts are left: it runs again after the retry policy's
        backoff, or after `retry_in` seconds. DEAD when every attempt was used, FAILED when
        `retry` is False. Publishes `task.failed` (with `retry_at`, or `final`) or
        `task.dead`; the dependents of a task that ended are decided (cancelled unless they
        run on partial input). Fenced by (task id, attempt): None, with nothing changed,
        when that attempt no longer holds the task.
        """
        ...

    async def save_checkpoint(self, task_id: int, attempt: int, state: Any) -> bool:
        """Keep `state` (JSON) for the task's next attempt, which gets it as
        `Task.checkpoint` (no message). Fenced by (task id, attempt): False when that
        attempt no longer holds the task."""
        ...

    async def report_progress(
        self, task_id: int, attempt: int, fraction: float, note: str = "", *,
        publish: Body | dict[str, Any] | None = None, kind: str | None = None,
    ) -> bool:
        """Record how far the attempt is (`fraction` clamped to 0..1, and a note) and
        publish `task.progress`; with `publish`, that message too (as `publish` takes it,
        on the task's session channel, after `task.progress`), in the same transaction.
        Fenced by (task id, attempt): False, with nothing published, when that attempt
        no longer holds the task."""
        ...

    async def requeue_expired(self) -> list[int]:
        """Take back every running task whose lease ended strictly before now, the lost
        attempt counted: queued again (`task.requeued`), or dead when it was the last
        attempt (`task.dead`, dependents decided). The ids taken back, ascending."""
        ...

    async def release_worker(self, worker_id: str, reason: str) -> list[int]:
        """Take back every task `worker_id` holds, as `requeue_expired` does, with
        `reason` as the error. The ids taken back, ascending ([] when it holds none)."""
        ...

    async def cancel_task(self, task_id: int, reason: str) -> bool:
        """Cancel an unfinished task (queued, blocked or running: its attempt loses the
        lease) and decide its dependents; publishes `task.cancelled`.

        False, with nothing changed, when the task has already ended. Raises `UnknownTask`.
        """
        ...

    async def answer_task(self, task_id: int, result: Any = None) -> bool:
        """Complete a queued task of role `human` with a person's `result` (JSON): its
        first attempt, published as `task.started` and `task.done`; dependents decided.

        False, with nothing changed, when it is not a queued human task (already answered,
        cancelled, blocked, or another role's). Raises `UnknownTask`.
        """
        ...

    async def get_task(self, task_id: int) -> Task:
        """The task, with the ids it depends on; raises `UnknownTask`."""
        ...

    async def list_tasks(self, session_id: str) -> list[Task]:
        """The session's tasks by id ([] for a session without tasks, or none)."""
        ...

    async def counts(self, session_id: str | None = None) -> list[StatusCount]:
        """How many tasks per (session, role, status): of one session, or of all."""
        ...

    # workers

    async def register_worker(self, worker: WorkerInfo) -> None:
        """Record the worker (replacing a record with its id), started and heard from
        now, and publish `worker.started` on the workers channel."""
        ...

    async def heartbeat(self, worker_id: str, beat: WorkerBeat, *, lease_s: float) -> int:
        """Record the worker's heartbeat (time, running tasks, memory, status) and extend
        the lease of every task it holds to `lease_s` from now; how many were extended
        (0 for an unknown worker). No message."""
        ...

    async def set_worker_status(self, worker_id: str, status: WorkerStatus) -> None:
        """Record the worker's status (no message; an unknown id changes nothing). A
        stopped or dead worker's model-server slots are freed at the next acquire."""
        ...

    async def list_workers(self, *, include_stopped: bool = False) -> list[WorkerInfo]:
        """Running and stopping workers (stopped and dead ones too if asked), by start."""
        ...

    # the bus

    async def publish(self, channel: str, body: Body | dict[str, Any], *,
                      sender: str | None = None, kind: str | None = None) -> int:
        """Append a message to `channel`; its id, greater than every id given before.

        A typed `Body` carries its kind; a plain dict needs `kind` (else `ValueError`) and
        must be JSON (else `InvalidTask` naming the field). `sender` defaults to the
        store's own name.
        """
        ...

    async def read(
        self, channels: Sequence[str], after: int = 0, limit: int = 1000
    ) -> list[Message]:
        """Up to `limit` messages of `channels` with ids above `after`, by id."""
        ...

    async def last_message_id(self) -> int:
        """The highest message id ever given (still after pruning); 0 before any."""
        ...

    async def wait_for_news(self, max_wait_s: float, after_version: int | None = None) -> bool:
        """Wait for a change to the store, by this process or another: True once
        `news_version` has passed `after_version` (default: its value now; a change made
        before the wait began is then not missed), False after `max_wait_s` without one."""
        ...

    @property
    def news_version(self) -> int:
        """A counter that grows with every change this store has seen."""
        ...

    async def prune_messages(self, older_than_s: float) -> int:
        """Delete the messages older than `older_than_s` seconds; how many. Ids are
        never given again."""
        ...

    # the blackboard, for hosts that share only the store

    async def put_blackboard_file(self, session_id: str, path: str, text: str) -> int:
        """Keep `text`, the whole file at `path` in the session's blackboard, replacing
        the copy kept before at that path; its sequence number, greater than every one
        given before in the session (no message: the writer announces its file).
        Raises `UnknownSession`."""
        ...

    async def blackboard_files(
        self, session_id: str, after: int = 0, limit: int = 100
    ) -> list[BoardFileCopy]:
        """Up to `limit` files of the session whose sequence number is above `after`, by
        sequence number: each path once, as last put ([] for an unknown session)."""
        ...

    # content-addressed blobs (a corpus snapshot's files), for hosts that share only the store

    async def missing_blobs(self, hashes: Sequence[str]) -> set[str]:
        """The hashes among `hashes` whose content the store does not hold (a string that
        is not a sha256 in lowercase hex never names a content held)."""
        ...

    async def put_blobs(self, blobs: Mapping[str, bytes]) -> int:
        """Keep each content under its key, the sha256 of its bytes in lowercase hex, all
        or none; how many were not held before. Idempotent: a content already held is
        not written again. Raises `InvalidBlob`, keeping nothing, when a content's sha256
        is not its key. Contents are never deleted (no message)."""
        ...

    async def get_blobs(self, hashes: Sequence[str]) -> dict[str, bytes]:
        """The contents held for `hashes`, by hash; a hash not held is left out."""
        ...

    # the model server: limits shared by every process of a workspace, usage per session

    async def llm_acquire(
        self, holder: str, max_concurrent: int | None, per_minute: int | None, *,
        lease_s: float, owner: str | None = None,
    ) -> float | None:
        """Take a call slot for `holder`: None when taken, else the seconds to wait
        before asking again (no slot among `max_concurrent`, or `per_minute` calls made
        in the last minute; None for a limit means none). A holder asking again keeps
        its one slot, renewed. A slot expires after `lease_s`, or when its `owner` (a
        worker id) is stopped or dead, so a crashed process cannot keep it."""
        ...

    async def llm_release(self, holder: str) -> bool:
        """Give the slot back; False when `holder` held none (expired, or released)."""
        ...

    async def record_llm_usage(
        self, session_id: str, task_id: int | None, tokens_in: int, tokens_out: int,
        latency_s: float, ok: bool,
    ) -> None:
        """Count one call to the model server for the session (and task, if any)."""
        ...

    async def llm_finish(
        self, holder: str | None, session_id: str, task_id: int | None, tokens_in: int,
        tokens_out: int, latency_s: float, ok: bool,
    ) -> bool:
        """The end of a call: `llm_release` of `holder` (None: it held no slot) and
        `record_llm_usage` of the call, in one transaction; whether a slot was given
        back. The usage is counted even when the slot had expired."""
        ...

    async def llm_usage(self, session_id: str) -> SessionUsage:
        """The session's calls summed per task and in all (zeros for an unknown session)."""
        ...

    async def close(self) -> None:
        """Release the store's connection and watchers; it is not used after."""
        ...
