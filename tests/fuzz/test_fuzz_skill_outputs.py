"""Fuzzed skill outputs: a legacy skill returning any str, dict or list goes through
`run_skill` to the blackboard and the task's completion, or fails with a SwarmError (a
BlackboardError is one) that says why; the workspace answers `sessions` and `status` after."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from orchestrator.workspace import Workspace
from skills import TaskContext, run_skill
from skills.loader import spec_for_class
from skills.outputs import render_output
from support.fuzzing import FUZZ, any_text, assert_workspace_answers, open_store
from taskqueue import NewTask, SwarmError

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), any_text(40),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, float("nan"), float("inf")]))
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(any_text(8) | st.integers(), inner, max_size=4),
    max_leaves=12)
OUTPUTS = st.one_of(any_text(300), st.lists(VALUES, max_size=5),
                    st.dictionaries(any_text(8), VALUES, max_size=5))


def legacy_skill_returning(value: Any) -> type:
    class Returns:
        name = "returns"

        def execute(self) -> Any:
            return value

    return Returns


@settings(FUZZ, max_examples=120)
@example(value="half a surrogate pair: \ud800")  # was a UnicodeEncodeError
@given(value=OUTPUTS)
def test_what_a_legacy_skill_returns_is_written_or_refused_with_a_message(
    workspace: Workspace, value: Any
) -> None:
    session_id = asyncio.run(_run_once(workspace, value))
    assert_workspace_answers(workspace, session_id)


async def _run_once(ws: Workspace, value: Any) -> str:
    store = await open_store(ws)
    try:
        session = await store.create_session("fuzzed skill output", {})
        board = ws.board(session.id)
        board.create()
        await store.enqueue(session.id, NewTask(role="researcher", skill="returns"))
        [task] = await store.claim("fuzz", ["researcher"], lease_s=60, session_id=session.id)
        spec = spec_for_class(legacy_skill_returning(value), "fuzz")
        ctx = TaskContext(store, task, worker_id="fuzz", skill=spec.name, board=board)
        try:
            result = await run_skill(spec, ctx, timeout_s=30)
        except SwarmError as exc:
            refusal = f"{type(exc).__name__}: {exc}"
        else:
            refusal = ""
        if refusal:
            event(refusal.split(":")[0])
            assert refusal.split(": ", 1)[1].strip(), refusal
            assert await store.fail(task.id, task.attempt, refusal, retry=False)
            return session.id
        written = board.read(result.data["output"])
        assert written.body == render_output(value)
        assert written.front_matter is not None
        assert written.front_matter.task == task.id
        assert await store.complete(task.id, task.attempt, result.model_dump())
        event("written")
        return session.id
    finally:
        await store.close()
