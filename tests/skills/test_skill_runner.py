"""Running one attempt with `run_skill`: input checked before the skill runs, what a legacy
skill returns written to the blackboard with its provenance, and what a skill raises."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from blackboard import Blackboard
from skills import (
    BadSkillInput,
    Fail,
    Retry,
    SkillRegistry,
    SkillResult,
    SyncSkillTimedOut,
    TaskContext,
    run_skill,
)
from support.swarm_processes import write_skill
from taskqueue import NewTask, SqliteStore, Task

WORKER = "w-test"


@dataclass
class Bench:
    """A real store and blackboard for one session, and a registry to load skills into."""

    store: SqliteStore
    board: Blackboard
    session_id: str
    registry: SkillRegistry

    async def claim(self, role: str = "researcher", **task: Any) -> Task:
        await self.store.enqueue(self.session_id, NewTask(role=role, **task))
        [claimed] = await self.store.claim(WORKER, [role], lease_s=60)
        return claimed

    async def run(self, cls: type, *, role: str = "researcher", timeout_s: float = 30,
                  **task: Any) -> tuple[SkillResult, TaskContext]:
        spec = self.registry.register_class(cls, "test")
        claimed = await self.claim(role, skill=spec.name, **task)
        ctx = TaskContext(self.store, claimed, worker_id=WORKER, skill=spec.name,
                          board=self.board)
        return await run_skill(spec, ctx, timeout_s), ctx


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    store = await SqliteStore.open(tmp_path / "swarm.db", sender="test")
    session = await store.create_session("runner test", {})
    board = Blackboard(tmp_path / "blackboard", session.id)
    board.create()
    yield Bench(store, board, session.id, SkillRegistry())
    await store.close()


class Point(BaseModel):
    x: int
    y: int


class ReturnsText:
    def execute(self) -> str:
        return "plain text"


class ReturnsDict:
    def execute(self) -> dict[str, Any]:
        return {"answer": 42}


class ReturnsList:
    def execute(self) -> list[str]:
        return ["a", "b"]


class ReturnsModel:
    def execute(self) -> Point:
        return Point(x=1, y=2)


@pytest.mark.parametrize(("cls", "body"), [
    (ReturnsText, "plain text\n"),
    (ReturnsDict, '```json\n{\n  "answer": 42\n}\n```\n'),
    (ReturnsList, '```json\n[\n  "a",\n  "b"\n]\n```\n'),
    (ReturnsModel, '```json\n{\n  "x": 1,\n  "y": 2\n}\n```\n'),
])
async def test_legacy_return_value_is_written_to_the_blackboard_with_front_matter(
    bench: Bench, cls: type, body: str,
) -> None:
    result, ctx = await bench.run(cls, role="analyst", title="A title")

    name = bench.registry.specs()[0].name
    path = f"analysis/{name.replace('_', '-')}--t{ctx.task_id}-a1.md"
    assert result.data == {"output": path}
    assert result.files == [path]
    written = bench.board.read(path)
    assert written.body == body
    meta = written.front_matter
    assert meta is not None
    assert (meta.task, meta.role, meta.skill, meta.worker, meta.attempt, meta.title) == (
        ctx.task_id, "analyst", name, WORKER, 1, "A title")
    announced = await bench.store.read([f"session:{bench.session_id}"])
    assert [m.body["path"] for m in announced if m.kind == "blackboard.written"] == [path]


async def test_legacy_text_is_also_the_summary_and_none_writes_nothing(bench: Bench) -> None:
    class ReturnsNothing:
        def execute(self) -> None:
            return None

    text, _ = await bench.run(ReturnsText)
    nothing, _ = await bench.run(ReturnsNothing)

    assert text.summary == "plain text"
    assert nothing == SkillResult()


class Summarize:
    def execute(self, text: str, max_words: int = 100) -> str:
        return " ".join(text.split()[:max_words])


@pytest.mark.parametrize(("given", "problem"), [
    ({}, "input.text: Field required"),
    ({"text": "a", "max_words": "many"}, "input.max_words: Input should be a valid integer"),
    ({"text": ["a"]}, "input.text: Input should be a valid string"),
    ({"text": "a", "colour": "red"}, "input.colour: Extra inputs are not permitted"),
])
async def test_legacy_input_is_checked_against_the_signature_naming_the_field(
    bench: Bench, given: dict[str, Any], problem: str,
) -> None:
    with pytest.raises(BadSkillInput) as raised:
        await bench.run(Summarize, input=given)

    assert str(raised.value).startswith("skill 'summarize': ")
    assert problem in str(raised.value)
    assert bench.board.list() == []


async def test_legacy_input_is_converted_and_defaults_applied(bench: Bench) -> None:
    result, _ = await bench.run(Summarize, input={"text": "one two three", "max_words": "2"})

    assert result.summary == "one two"


async def test_kwargs_skill_takes_any_input(bench: Bench) -> None:
    class Anything:
        def execute(self, **kwargs: Any) -> dict[str, Any]:
            return kwargs

    class SomeAndMore:
        def execute(self, text: str, **rest: Any) -> dict[str, Any]:
            return {"text": text, **rest}

    _, ctx = await bench.run(Anything, input={"a": 1, "b": [2]})
    some, _ = await bench.run(SomeAndMore, input={"text": "t", "extra": True})

    assert '"b": [\n    2\n  ]' in bench.board.read(ctx.blackboard.written[0]).body
    assert '"extra": true' in bench.board.read(some.data["output"]).body


async def test_declared_input_model_is_checked_for_swarm_skill(bench: Bench) -> None:
    class Moves:
        input_model = Point

        async def execute(self, ctx: Any) -> SkillResult:
            return SkillResult(data=ctx.input)

    with pytest.raises(BadSkillInput, match=r"input\.y: Field required"):
        await bench.run(Moves, input={"x": 1})
    result, _ = await bench.run(Moves, input={"x": 1, "y": 2})
    assert result.data == {"x": 1, "y": 2}


class Search(BaseModel):
    query: str
    limit: int = 5


async def test_swarm_skill_gets_its_validated_input_as_params_with_defaults(
    bench: Bench,
) -> None:
    seen: list[BaseModel | None] = []

    class Searches:
        input_model = Search

        async def execute(self, ctx: Any) -> None:
            seen.append(ctx.params)

    class TakesNothing:
        async def execute(self, ctx: Any) -> None:
            seen.append(ctx.params)

    _, ctx = await bench.run(Searches, input={"query": "leases"})
    await bench.run(TakesNothing, input={"query": "leases"})

    assert seen == [Search(query="leases", limit=5), None]
    assert ctx.input == {"query": "leases"}  # the raw input, as the task holds it


async def test_skill_restricted_to_other_roles_fails(bench: Bench) -> None:
    class OnlyCritics:
        roles = ("critic",)

        def execute(self) -> str:
            return "ran"

    with pytest.raises(Fail, match=r"skill 'only_critics' may run only in roles \['critic'\], "
                                   r"not 'researcher'"):
        await bench.run(OnlyCritics)


async def test_retry_and_fail_raised_by_skills_reach_the_worker(bench: Bench) -> None:
    class AskLater:
        async def execute(self, ctx: Any) -> None:
            raise Retry("rate limited", defer=12.5)

    class GiveUp:
        def execute(self) -> None:
            raise Fail("no such source")

    with pytest.raises(Retry) as retry:
        await bench.run(AskLater)
    with pytest.raises(Fail, match="no such source"):
        await bench.run(GiveUp)
    assert (str(retry.value), retry.value.defer) == ("rate limited", 12.5)


@pytest.mark.parametrize("ends", ["returns", "raises"])
async def test_files_a_skill_left_open_for_appends_close_when_it_ends(
        bench: Bench, ends: str) -> None:
    class LeavesATraceOpen:
        async def execute(self, ctx: Any) -> None:
            ctx.blackboard.append("traces/t.md", "# Heading\n", first=True)
            ctx.blackboard.append("traces/t.md", "step\n")
            if ends == "raises":
                raise Fail("gave up")

    before = len(os.listdir("/proc/self/fd"))
    if ends == "raises":
        with pytest.raises(Fail):
            await bench.run(LeavesATraceOpen)
    else:
        await bench.run(LeavesATraceOpen)

    assert len(os.listdir("/proc/self/fd")) == before
    assert bench.board.read("traces/t.md").body == "# Heading\nstep\n"


async def test_skill_past_its_timeout_is_cancelled_or_reported_stuck(bench: Bench) -> None:
    class SlowAsync:
        async def execute(self, ctx: Any) -> None:
            await asyncio.sleep(60)

    class SlowSync:
        def execute(self) -> None:
            time.sleep(0.5)

    with pytest.raises(TimeoutError):
        await bench.run(SlowAsync, timeout_s=0.05)
    with pytest.raises(SyncSkillTimedOut, match=r"skill 'slow_sync' timed out after 0\.05 s"):
        await bench.run(SlowSync, timeout_s=0.05)


async def test_legacy_file_with_postponed_annotations_gets_its_input_checked(
    bench: Bench, tmp_path: Path,
) -> None:
    # Annotations are strings under `from __future__ import annotations`; the model must
    # resolve them in the skill's own module.
    write_skill(tmp_path / "skills", "postponed", """
        from __future__ import annotations

        from typing import TYPE_CHECKING

        from pydantic import BaseModel

        if TYPE_CHECKING:
            from decimal import Decimal

        class Item(BaseModel):
            name: str

        class Repeat:
            def execute(self, item: Item, times: int = 1, note: Decimal | None = None) -> str:
                return item.name * times
    """)
    bench.registry.add_directory(tmp_path / "skills")
    spec = bench.registry.get("repeat")

    async def attempt(given: dict[str, Any]) -> SkillResult:
        claimed = await bench.claim(skill="repeat", input=given)
        ctx = TaskContext(bench.store, claimed, worker_id=WORKER, skill="repeat",
                          board=bench.board)
        return await run_skill(spec, ctx, 30)

    assert bench.registry.failures == []
    assert (await attempt({"item": {"name": "ab"}, "times": 2})).summary == "abab"
    with pytest.raises(BadSkillInput, match=r"input\.item\.name: Field required"):
        await attempt({"item": {}})
