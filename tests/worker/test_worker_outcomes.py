"""The outcome ladder in a real worker: what no retry can fix fails at once, `Retry` and
`Fail` raised by a skill are honoured."""

from __future__ import annotations

from pathlib import Path

from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus

SKILLS = """
    from skills import Fail, Retry

    class Summarize:
        def execute(self, text: str, max_words: int = 100) -> str:
            return " ".join(text.split()[:max_words])

    class Anything:
        def execute(self, **kwargs) -> dict:
            return kwargs

    class OnlyX:
        roles = ("x",)

        def execute(self) -> str:
            return "ran"

    class Flaky:
        async def execute(self, ctx):
            if ctx.attempt == 1:
                raise Retry("not yet", defer=0.3)
            return f"attempt {ctx.attempt}"

    class Hopeless:
        async def execute(self, ctx):
            raise Fail("the source is gone")
"""


async def test_bad_input_fails_the_task_at_once_naming_the_field(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("outcomes", SKILLS)
        ids = await swarm.enqueue(
            NewTask(role="r", skill="summarize", input={"max_words": 3}),
            NewTask(role="r", skill="summarize", input={"text": "a b", "max_words": "many"}),
            NewTask(role="r", skill="summarize", input={"text": "a b", "style": "terse"}),
            NewTask(role="r", skill="summarize", input={"text": "one two three four",
                                                        "max_words": 2}),
        )
        await swarm.start_worker("r")

        missing, mistyped, unexpected, good = await swarm.wait_for_tasks(ids)

        for task in (missing, mistyped, unexpected):
            assert (task.status, task.attempt) == (TaskStatus.FAILED, 1)
        assert "input.text: Field required" in (missing.error or "")
        assert "input.max_words: Input should be a valid integer" in (mistyped.error or "")
        assert "input.style: Extra inputs are not permitted" in (unexpected.error or "")
        assert swarm.output_of(good).body == "one two\n"


async def test_kwargs_skill_takes_any_input(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("outcomes", SKILLS)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="anything",
                                                input={"a": 1, "b": ["x"]}))
        await swarm.start_worker("r")

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DONE
        assert '"b": [\n    "x"\n  ]' in swarm.output_of(task).body


async def test_skill_run_by_a_role_it_does_not_allow_fails_permanently(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("outcomes", SKILLS)
        [task_id] = await swarm.enqueue(NewTask(role="y", skill="only_x", max_attempts=3))
        await swarm.start_worker("y")

        [task] = await swarm.wait_for_tasks([task_id])

        assert (task.status, task.attempt) == (TaskStatus.FAILED, 1)
        assert "skill 'only_x' may run only in roles ['x'], not 'y'" in (task.error or "")


async def test_unknown_skill_fails_the_task_at_once(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="nonesuch"))
        await swarm.start_worker("r")

        [task] = await swarm.wait_for_tasks([task_id])

        assert (task.status, task.attempt) == (TaskStatus.FAILED, 1)
        assert "no skill named 'nonesuch'" in (task.error or "")


async def test_retry_raised_by_skill_defers_the_next_attempt(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("outcomes", SKILLS)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="flaky"))
        await swarm.start_worker("r")

        [task] = await swarm.wait_for_tasks([task_id])

        assert (task.status, task.attempt) == (TaskStatus.DONE, 2)
        assert swarm.output_of(task).body == "attempt 2\n"
        [failed] = await swarm.messages("task.failed")
        assert failed.body["error"] == "retry requested: not yet"
        # The retry is scheduled `defer` seconds after the failure, not by the backoff.
        assert abs(failed.body["retry_at"] - failed.time - 0.3) < 1e-6
        [second] = [m for m in await swarm.messages("task.started") if m.body["attempt"] == 2]
        assert second.time >= failed.body["retry_at"]


async def test_fail_raised_by_skill_fails_the_task_without_retries(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("outcomes", SKILLS)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="hopeless", max_attempts=3))
        await swarm.start_worker("r")

        [task] = await swarm.wait_for_tasks([task_id])

        assert (task.status, task.attempt) == (TaskStatus.FAILED, 1)
        assert task.error == "Fail: the source is gone"
