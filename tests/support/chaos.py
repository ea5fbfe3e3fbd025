"""A session under a worker-kill storm, for the chaos test and `scripts/soak.py`: a plan of
tasks whose legacy skill writes a known payload to the blackboard, a final report task,
a killer that SIGKILLs a random live worker on a fixed beat, and the checks afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import signal
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from orchestrator.pids import pid_alive
from support.swarm_processes import Swarm
from taskqueue import NewTask, Task, TaskStatus

# Kills cost attempts; enough of them that no task runs out by bad luck.
MAX_ATTEMPTS = 100

# A legacy skill: returns a payload the runner writes to findings/ for it. The payload is
# long enough (4 KiB) that a half-written file could not pass for a whole one.
WRITE_SKILL = '''
import hashlib

class ChaosWrite:
    name = "chaos_write"

    def execute(self, n: int) -> str:
        line = hashlib.sha256(str(n).encode()).hexdigest()
        return f"task {n}\\n" + "\\n".join([line] * 64) + "\\nend\\n"
'''

# The final, synthesis-like task: it runs on partial input and writes final/report.md.
REPORT_SKILL = '''
from skills.contracts import SkillResult

class ChaosReport:
    name = "chaos_report"

    async def execute(self, ctx):
        findings = ctx.blackboard.list("findings")
        ctx.blackboard.write(ctx.input["path"],
                             f"# Chaos report\\n\\n{len(findings)} findings files\\n")
        return SkillResult(summary=f"{len(findings)} findings")
'''


def payload(n: int) -> str:
    line = hashlib.sha256(str(n).encode()).hexdigest()
    return f"task {n}\n" + "\n".join([line] * 64) + "\nend\n"


def install_skills(swarm: Swarm) -> None:
    swarm.skill("chaos_write", WRITE_SKILL)
    swarm.skill("chaos_report", REPORT_SKILL)


def plan(tasks: int, first: int = 0) -> list[NewTask]:
    """`tasks` writing tasks (numbered from `first`) and the report that depends on them."""
    work = [NewTask(key=f"t{n}", role="researcher", skill="chaos_write", input={"n": n},
                    max_attempts=MAX_ATTEMPTS) for n in range(first, first + tasks)]
    report = NewTask(key=f"report-{first}", role="coordinator", skill="chaos_report",
                     depends_on=[f"t{n}" for n in range(first, first + tasks)],
                     run_on_partial=True, max_attempts=MAX_ATTEMPTS,
                     input={"path": report_path(first)})
    return [*work, report]


def report_path(first: int) -> str:
    return "final/report.md" if first == 0 else f"final/report-{first}.md"


def _is_worker(pid: int, worker_id: str) -> bool:
    """The pid is still that worker's live process (not a pid reused since)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return worker_id.encode() in argv and pid_alive(pid)


async def kill_workers(swarm: Swarm, every_s: float, rng: random.Random,
                       stop: asyncio.Event) -> int:
    """SIGKILL a random live worker of the session every `every_s` until `stop`; returns
    how many were killed."""
    kills = 0
    loop = asyncio.get_running_loop()
    next_kill = loop.time()
    while not stop.is_set():
        live = [w for w in await swarm.store.list_workers()
                if w.session_id == swarm.session_id and _is_worker(w.pid, w.id)]
        if live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(rng.choice(live).pid, signal.SIGKILL)
                kills += 1
        # On a fixed beat: the time spent picking a victim does not stretch the interval.
        next_kill = max(next_kill + every_s, loop.time())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), next_kill - loop.time())
    return kills


async def check_completions(swarm: Swarm, listed: Sequence[Task]) -> None:
    """Every task is done, with exactly one completion on the bus."""
    statuses = Counter(t.status for t in listed)
    assert statuses == {TaskStatus.DONE: len(listed)}, statuses
    done = Counter(m.body["task_id"] for m in await swarm.messages("task.done"))
    twice = {task_id: n for task_id, n in done.items() if n != 1}
    assert not twice, f"tasks completed more than once: {twice}"
    assert set(done) == {t.id for t in listed}
    # The completion recorded is the attempt that holds the task.
    attempts = {m.body["task_id"]: m.body["attempt"] for m in await swarm.messages("task.done")}
    assert attempts == {t.id: t.attempt for t in listed}


def check_blackboard(swarm: Swarm, listed: Sequence[Task]) -> None:
    """Every done task's output is there and whole; so is every other file, those of
    attempts cut short by a kill included; the report is written."""
    board = swarm.board
    for task in listed:
        if task.skill != "chaos_write":
            continue
        found = swarm.output_of(task)
        assert found.front_matter is not None, found.path
        assert (found.front_matter.task, found.front_matter.attempt) == (task.id, task.attempt)
        assert found.body == payload(task.input["n"]), f"{found.path} is not whole"
    by_id = {t.id: t for t in listed}
    for path in board.list("findings"):
        found = board.read(path)
        assert found.front_matter is not None, path
        assert found.front_matter.task in by_id, path
        assert found.body == payload(by_id[found.front_matter.task].input["n"]), path
    reports = [t for t in listed if t.skill == "chaos_report"]
    assert reports
    for task in reports:
        report = board.read(task.input["path"])
        assert report.front_matter is not None
        assert report.front_matter.task == task.id
        assert report.body.startswith("# Chaos report"), report.body
