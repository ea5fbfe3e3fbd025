"""A real session for the built-in skills: a SQLite store, a blackboard, the sample corpus
indexed in a temporary directory, and a way to run the session's tasks in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blackboard import Blackboard
from skills import SkillRegistry, SkillResult, TaskContext, run_skill
from skills.offline import CorpusIndex
from support.clock import FakeClock
from taskqueue import NewTask, RetryPolicy, SqliteStore, Task

SAMPLE_CORPUS = Path(__file__).resolve().parents[3] / "corpus"
README_REQUEST = (
    "How do task queues survive worker crashes? Compare retries with backoff and leases; "
    "and what should a dead-letter queue hold?"
)
# The roles of the offline plan, in the order their tasks become ready.
ROLES = ("planner", "researcher", "analyst", "architect", "critic", "coordinator")
LEASE_S = 60.0


@dataclass
class Harness:
    """One session of a real store, with its blackboard and the corpus index."""

    store: SqliteStore
    board: Blackboard
    session_id: str
    registry: SkillRegistry
    clock: FakeClock
    corpus: Path
    index: Path

    async def enqueue(self, role: str, input: dict[str, Any], **fields: Any) -> int:  # noqa: A002
        return await self.store.enqueue(self.session_id, NewTask(role=role, input=input,
                                                                 **fields))

    async def claim(self, role: str) -> Task | None:
        claimed = await self.store.claim("w", [role], lease_s=LEASE_S, session_id=self.session_id)
        return claimed[0] if claimed else None

    async def run(self, task: Task) -> SkillResult:
        """Run one claimed attempt as a worker would, without recording its outcome."""
        spec = self.registry.for_task(task.skill, task.role)
        ctx = TaskContext(self.store, task, worker_id="w", skill=spec.name, board=self.board)
        return await run_skill(spec, ctx, timeout_s=30)

    async def run_and_complete(self, task: Task) -> SkillResult:
        result = await self.run(task)
        assert await self.store.complete(task.id, task.attempt, result.model_dump(mode="json"))
        return result

    async def run_session(self) -> list[Task]:
        """Claim and run ready tasks, role by role, until none is left; returns them."""
        ran: list[Task] = []
        while True:
            task = None
            for role in ROLES:
                task = await self.claim(role)
                if task is not None:
                    break
            if task is None:
                return ran
            await self.run_and_complete(task)
            ran.append(task)

    async def tasks(self) -> list[Task]:
        return await self.store.list_tasks(self.session_id)

    def plan_input(self, request: str = README_REQUEST, **extra: Any) -> dict[str, Any]:
        return {"request": request, "corpus": str(self.corpus), "index": str(self.index),
                **extra}


async def open_harness(home: Path, request: str = README_REQUEST,
                       corpus: Path = SAMPLE_CORPUS) -> Harness:
    """A fresh store, session, blackboard and corpus index under `home`."""
    clock = FakeClock()
    store = await SqliteStore.open(home / "swarm.db", clock=clock,
                                   retry=RetryPolicy(base_s=1.0, max_s=60.0), rng=lambda: 0.0)
    session = await store.create_session(request, {})
    board = Blackboard(home / "blackboard", session.id)
    board.create()
    registry = SkillRegistry()
    registry.add_builtins()
    index = home / "corpus.db"
    CorpusIndex(index, corpus).refresh()
    return Harness(store, board, session.id, registry, clock, corpus, index)


@pytest.fixture
def make_harness() -> Callable[[Path], Awaitable[Harness]]:
    """`open_harness`, for tests that need more than one session home."""
    return open_harness


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    opened = await open_harness(tmp_path)
    yield opened
    await opened.store.close()
