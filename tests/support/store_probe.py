"""Reading one session of a real command line's store, on either backend, from a test:
each question opens the store by its URL, asks, and closes it, so the test never holds a
connection (or a lock) the processes under test would meet. Plus the checks that no task
done ran again, by the bus, as `support.sessions` makes them on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from support.sessions import SlowOutput, assert_board_files_whole, executions
from taskqueue import Message, Store, StoreError, Task, open_store, session_channel

T = TypeVar("T")


class StoreProbe:
    """Questions about the only session of the store at `url` (opened read-only: a
    SQLite file is never created by asking)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _ask(self, question: Callable[[Store], Awaitable[T]]) -> T:
        async def asked() -> T:
            async with await open_store(self.url, sender="test-probe", read_only=True) as store:
                return await question(store)

        return asyncio.run(asked())

    def session_id(self) -> str | None:
        try:
            sessions = self._ask(lambda store: store.list_sessions())
        except StoreError:  # the SQLite file or its schema is not there yet
            return None
        return sessions[0].id if sessions else None

    def tasks(self) -> list[Task]:
        session_id = self.session_id()
        if session_id is None:
            return []
        return self._ask(lambda store: store.list_tasks(session_id))

    def done_count(self) -> int:
        return sum(t.status == "done" for t in self.tasks())

    def done_slow_numbers(self) -> set[str]:
        """The `n` of every `slow_plan` task done (its key is `t<n>`)."""
        return {str(t.key)[1:] for t in self.tasks() if t.status == "done" and t.skill == "slow"}

    def worker_pids(self) -> list[int]:
        workers = self._ask(lambda store: store.list_workers(include_stopped=True))
        return [w.pid for w in workers]

    def messages(self) -> list[Message]:
        session_id = self.session_id()
        assert session_id is not None

        async def read_all(store: Store) -> list[Message]:
            found, after = [], 0
            while batch := await store.read([session_channel(session_id)], after):
                found += batch
                after = batch[-1].id
            return found

        return self._ask(read_all)


def assert_no_done_task_ran_again(probe: StoreProbe) -> None:
    """By the bus: every task has at most one task.done, and none started after it."""
    done: set[int] = set()
    for message in probe.messages():
        if message.kind not in ("task.started", "task.done"):
            continue
        task_id = message.body["task_id"]
        assert task_id not in done, f"task {task_id} {message.kind} after it was done"
        if message.kind == "task.done":
            done.add(task_id)


def assert_finished_once(probe: StoreProbe, home: Path, log: Path, tasks: int) -> None:
    """The session of a `slow_plan` of `tasks` tasks ended whole (see
    `support.sessions.assert_finished_once`), read through the store."""
    session_id = probe.session_id()
    assert session_id is not None
    listed = probe.tasks()
    assert {t.status for t in listed} == {"done"}, [(t.key, t.status) for t in listed]
    assert len(listed) == tasks + 1  # the tasks and the synthesis
    assert (home / "blackboard" / session_id / "final" / "report.md").exists()
    assert_no_done_task_ran_again(probe)
    assert set(executions(log)) == {str(n) for n in range(tasks)}
    assert_board_files_whole(home, session_id, [
        SlowOutput(t.id, t.attempt, t.input["n"], (t.result or {})["data"]["output"])
        for t in listed if t.skill == "slow"])
