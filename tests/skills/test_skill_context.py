"""What a swarm-aware skill's `ctx` does: follow-up tasks, progress, its own messages,
checkpoints for the next attempt, and blackboard writes announced on the bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blackboard import Blackboard
from skills import TaskContext
from skills.context import MAX_NOTE_CHARS, NOTE_CUT
from taskqueue import Message, NewTask, SqliteStore, SwarmError, Task, TaskStatus, session_channel

WORKER = "w-test"


@dataclass
class Session:
    store: SqliteStore
    board: Blackboard
    session_id: str

    async def context(self, task: Task | None = None, **new: Any) -> TaskContext:
        """The context of a freshly claimed attempt (of `task`, or of a new task)."""
        if task is None:
            await self.store.enqueue(self.session_id, NewTask(role="r", skill="s", **new))
        [claimed] = await self.store.claim(WORKER, ["r"], lease_s=60)
        return TaskContext(self.store, claimed, worker_id=WORKER, skill="s", board=self.board)

    async def messages(self, kind: str) -> list[Message]:
        found = await self.store.read([session_channel(self.session_id)])
        return [m for m in found if m.kind == kind]


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    store = await SqliteStore.open(tmp_path / "swarm.db", sender="test")
    created = await store.create_session("context test", {})
    board = Blackboard(tmp_path / "blackboard", created.id)
    board.create()
    yield Session(store, board, created.id)
    await store.close()


async def test_context_describes_the_attempt(session: Session) -> None:
    ctx = await session.context(input={"q": "retries"})

    assert (ctx.input, ctx.role, ctx.session_id, ctx.attempt) == (
        {"q": "retries"}, "r", session.session_id, 1)
    assert ctx.restored is None
    assert ctx.llm is None
    assert ctx.cancelled is False
    ctx.mark_cancelled()
    assert ctx.cancelled is True


async def test_enqueue_adds_a_follow_up_task_to_the_session(session: Session) -> None:
    ctx = await session.context()
    [sibling] = await session.store.enqueue_plan(session.session_id, [NewTask(role="other")])

    follow_up = await ctx.enqueue(role="critic", skill="critique", input={"of": "x"},
                                  priority=5, depends_on=[sibling], title="Check it")

    task = await session.store.get_task(follow_up)
    assert (task.session_id, task.role, task.skill, task.input, task.priority, task.title) == (
        session.session_id, "critic", "critique", {"of": "x"}, 5, "Check it")
    assert task.depends_on == [sibling]
    assert task.status is TaskStatus.BLOCKED


async def test_progress_is_recorded_and_published(session: Session) -> None:
    ctx = await session.context()

    await ctx.progress(0.25, "a quarter")

    [message] = await session.messages("task.progress")
    assert message.body == {"task_id": ctx.task_id, "attempt": 1, "fraction": 0.25,
                            "note": "a quarter"}
    task = await session.store.get_task(ctx.task_id)
    assert (task.progress, task.progress_note) == (0.25, "a quarter")


async def test_publish_sends_the_skills_own_kind_and_refuses_swarms_kinds(
    session: Session,
) -> None:
    ctx = await session.context()

    await ctx.publish("research.hit", {"file": "a.md"})
    with pytest.raises(SwarmError, match=r"message kind 'task\.done' is swarm's own"):
        await ctx.publish("task.done", {"task_id": ctx.task_id, "attempt": 1})

    [own] = await session.messages("research.hit")
    assert (own.body, own.sender) == ({"file": "a.md"}, WORKER)
    assert await session.messages("task.done") == []


async def test_checkpoint_is_restored_in_the_next_attempt(session: Session) -> None:
    first = await session.context()
    await first.checkpoint({"step": 3, "seen": ["a.md"]})
    await session.store.fail(first.task_id, 1, "crashed", retry_in=0)

    second = await session.context(await session.store.get_task(first.task_id))

    assert second.attempt == 2
    assert second.restored == {"step": 3, "seen": ["a.md"]}


async def test_checkpoint_of_an_attempt_that_lost_its_task_is_ignored(session: Session) -> None:
    first = await session.context()
    await session.store.release_worker(WORKER, "worker died")
    second = await session.context(await session.store.get_task(first.task_id))

    await first.checkpoint({"stale": True})

    assert (await session.store.get_task(first.task_id)).checkpoint is None
    await second.checkpoint({"fresh": True})
    assert (await session.store.get_task(first.task_id)).checkpoint == {"fresh": True}


async def test_blackboard_writes_carry_provenance_and_are_announced(session: Session) -> None:
    ctx = await session.context(title="Look around")

    path = ctx.blackboard.write("findings/notes.md", "found it\n", sources=["corpus/a.md:3"])
    await ctx.blackboard.drain()

    assert path == "findings/notes.md"
    assert ctx.blackboard.read(path) == "found it\n"
    assert ctx.blackboard.list("findings") == ["findings/notes.md"]
    meta = session.board.read(path).front_matter
    assert meta is not None
    assert (meta.task, meta.role, meta.worker, meta.attempt, meta.sources) == (
        ctx.task_id, "r", WORKER, 1, ["corpus/a.md:3"])
    [announced] = await session.messages("blackboard.written")
    assert announced.body == {"session_id": session.session_id, "path": path,
                              "task_id": ctx.task_id}


async def test_a_file_started_grows_and_is_announced_at_its_start_and_end(
        session: Session) -> None:
    ctx = await session.context()

    path = ctx.blackboard.append("traces/t.md", "# Heading\n", first=True)
    ctx.blackboard.append(path, "step 1\n")
    ctx.blackboard.append(path, "end\n", last=True)
    await ctx.blackboard.drain()

    assert ctx.blackboard.read(path) == "# Heading\nstep 1\nend\n"
    meta = session.board.read(path).front_matter
    assert meta is not None
    assert meta.task == ctx.task_id
    announced = await session.messages("blackboard.written")
    assert [m.body["path"] for m in announced] == [path, path]


async def test_a_write_replaces_a_file_being_appended_to(session: Session) -> None:
    ctx = await session.context()
    ctx.blackboard.append("traces/t.md", "# Heading\n", first=True)

    ctx.blackboard.write("traces/t.md", "# Written whole\n")
    ctx.blackboard.append("traces/t.md", "step\n")
    ctx.blackboard.close()

    assert ctx.blackboard.read("traces/t.md") == "# Written whole\nstep\n"


async def test_a_file_started_and_ended_at_once_is_refused(session: Session) -> None:
    ctx = await session.context()

    with pytest.raises(ValueError, match="is a write"):
        ctx.blackboard.append("traces/t.md", "all\n", first=True, last=True)

    assert ctx.blackboard.list("traces") == []


async def test_a_one_megabyte_note_is_cut_before_it_is_stored(session: Session) -> None:
    ctx = await session.context()
    await ctx.progress(0.5, "x" * 1_000_000)

    note = (await session.store.get_task(ctx.task_id)).progress_note or ""
    assert len(note) == MAX_NOTE_CHARS
    assert note.endswith(NOTE_CUT)
    [sent] = await session.messages("task.progress")
    assert len(sent.body["note"]) == MAX_NOTE_CHARS


async def test_a_body_too_big_to_publish_is_refused_naming_its_size(session: Session) -> None:
    ctx = await session.context()
    with pytest.raises(SwarmError, match=r"'my\.big': its body is 1,000,01\d bytes as JSON"):
        await ctx.publish("my.big", {"blob": "x" * 1_000_000})
    assert await session.messages("my.big") == []
    await ctx.publish("my.small", {"blob": "x" * 1_000})
    assert len(await session.messages("my.small")) == 1
