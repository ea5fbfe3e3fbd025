"""Running one attempt of a task with its skill, under either contract."""

from __future__ import annotations

import asyncio
from typing import Any

from skills.context import TaskContext
from skills.contracts import Fail, SkillResult
from skills.inputs import as_kwargs, check_input
from skills.loader import SkillKind, SkillSpec
from skills.outputs import render_output
from skills.roles import output_folder


class SyncSkillTimedOut(Exception):
    """A legacy skill ran past its timeout; its thread cannot be stopped."""


async def run_skill(spec: SkillSpec, ctx: TaskContext, timeout_s: float) -> SkillResult:
    """Validate the input, run the skill, and write what it returned to the blackboard.

    Raises what the skill raised, `BadSkillInput` or `Fail` for what no retry can fix,
    `TimeoutError` for an async skill that was cancelled at its timeout, and
    `SyncSkillTimedOut` for a legacy skill whose thread is still running.
    """
    if not spec.allows_role(ctx.role):
        raise Fail(f"skill {spec.name!r} may run only in roles {list(spec.roles)}, "
                   f"not {ctx.role!r}")
    validated = check_input(spec.input_model, ctx.input, spec.name) if spec.input_model else None
    ctx.params = validated
    instance = spec.cls()
    try:
        async with asyncio.timeout(timeout_s):
            if spec.kind is SkillKind.LEGACY:
                kwargs = as_kwargs(validated, ctx.input) if validated else dict(ctx.input)
                returned: Any = await asyncio.to_thread(instance.execute, **kwargs)
            else:
                returned = await instance.execute(ctx)
    except TimeoutError:
        if spec.kind is SkillKind.LEGACY:
            message = f"skill {spec.name!r} timed out after {timeout_s:g} s"
            raise SyncSkillTimedOut(message) from None
        raise
    finally:
        ctx.blackboard.close()
    result = await _as_result(returned, spec, ctx)
    await ctx.blackboard.drain()
    return result


async def _as_result(returned: Any, spec: SkillSpec, ctx: TaskContext) -> SkillResult:
    if isinstance(returned, SkillResult):
        extra = [f for f in ctx.blackboard.written if f not in returned.files]
        return returned.model_copy(update={"files": [*returned.files, *extra]})
    if returned is None:
        return SkillResult(files=list(ctx.blackboard.written))
    # Off the event loop: the write fsyncs, and a slow disk must not stall the heartbeats.
    path = await asyncio.to_thread(ctx.blackboard.write_output, output_folder(ctx.role),
                                   spec.name, render_output(returned))
    summary = returned if isinstance(returned, str) else ""
    return SkillResult(summary=summary[:200], files=list(ctx.blackboard.written), data={
        "output": path})
