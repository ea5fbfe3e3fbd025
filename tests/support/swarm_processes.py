"""Real worker processes for tests: a store on a temporary home, a session, skill files,
supervisors and hand-started workers, all stopped and reaped however a test ends.

Settings are fast (heartbeats every 0.2 s, short leases and backoffs) so that recovery
happens within a test; timeouts passed to `wait_until` only stop a hang, they never
measure speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blackboard import Blackboard, BlackboardFile
from orchestrator.supervisor import Supervisor
from orchestrator.supervisor_config import RoleWorkers, SupervisorConfig
from taskqueue import (
    WORKERS_CHANNEL,
    Message,
    NewTask,
    Store,
    Task,
    default_store_url,
    error_headline,
    open_store,
    session_channel,
)
from taskqueue.messages import WorkerCrashed
from worker.config import WorkerSettings

# Long enough for a loaded two-core machine; a passing test never waits this long.
HANG_S = 60.0

# Heartbeats every 0.2 s; a worker is taken for hung after 3 s of silence (15 beats, so a
# loaded machine does not fake a hang), and a lease outlives that.
FAST_WORKER = WorkerSettings(
    lease_s=5.0, heartbeat_s=0.2, grace_s=1.0, retry_base_s=0.05, retry_max_s=0.5,
    idle_poll_s=0.2,
)
FAST_SUPERVISOR: dict[str, Any] = {
    "heartbeat_timeout_s": 3.0,
    "startup_timeout_s": 30.0,
    "watch_interval_s": 0.1,
    "restart_backoff_s": 0.05,
    "restart_backoff_max_s": 1.0,
    "stop_timeout_s": 5.0,
}

Predicate = Callable[[], Any]


def write_skill(directory: Path, stem: str, source: str) -> Path:
    """Write a skill file `<stem>.py` (source dedented) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.py"
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return path


async def wait_until(
    store: Store, predicate: Predicate, timeout: float = HANG_S, what: str = "",
    describe: Callable[[], Awaitable[str]] | None = None,
) -> Any:
    """Poll `predicate` (sync or async) each time the database changes, or every 0.25 s,
    until it returns something truthy, which is returned; fail after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        seen = store.news_version
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        remaining = deadline - loop.time()
        if remaining <= 0:
            details = await describe() if describe else ""
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what or predicate}"
                                 f"\n{details}")
        await store.wait_for_news(min(0.25, remaining), seen)


@dataclass
class HandWorker:
    """A worker started by hand: `python -m worker --role R --home H ...`."""

    worker_id: str
    process: asyncio.subprocess.Process

    @property
    def pid(self) -> int:
        return self.process.pid

    async def wait(self, timeout: float = HANG_S) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)


@dataclass
class Swarm:
    """One session on a temporary home, and every process a test started for it."""

    home: Path
    skills_dir: Path
    store: Store
    session_id: str
    # The store's URL as workers are given it; None: the workspace's SQLite file.
    store_url: str | None = None
    supervisors: list[Supervisor] = field(default_factory=list)
    hand_workers: list[HandWorker] = field(default_factory=list)

    @property
    def board(self) -> Blackboard:
        return Blackboard(self.home / "blackboard", self.session_id)

    def skill(self, stem: str, source: str) -> Path:
        return write_skill(self.skills_dir, stem, source)

    # processes

    async def supervise(
        self, roles: Mapping[str, int], *, concurrency: int = 1, **overrides: Any
    ) -> Supervisor:
        """Start a supervisor keeping `roles[r]` workers of each role; stopped at the end.

        `overrides` are SupervisorConfig fields, or WorkerSettings fields for the workers.
        """
        worker_fields = {k: overrides.pop(k) for k in list(overrides)
                         if k in WorkerSettings.model_fields}
        config = SupervisorConfig(
            home=self.home, session_id=self.session_id, skills_dirs=[self.skills_dir],
            roles={role: RoleWorkers(workers=n, concurrency=concurrency)
                   for role, n in roles.items()},
            worker=FAST_WORKER.model_copy(update=worker_fields), store=self.store_url,
            **{**FAST_SUPERVISOR, **overrides},
        )
        supervisor = Supervisor(config, self.store)
        self.supervisors.append(supervisor)
        await supervisor.start()
        return supervisor

    async def start_worker(
        self, role: str, *extra: str, env: Mapping[str, str] | None = None, **settings: Any
    ) -> HandWorker:
        """Start `python -m worker` by hand with fast settings; `settings` override them."""
        worker_id = f"{role}-hand-{len(self.hand_workers)}"
        argv = [sys.executable, "-m", "worker", "--role", role, "--home", str(self.home),
                "--session", self.session_id, "--skills-dir", str(self.skills_dir),
                "--worker-id", worker_id]
        if self.store_url is not None:
            argv += ["--store", self.store_url]
        for name, value in {**FAST_WORKER.model_dump(), **settings}.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"{worker_id}.log", "ab") as log:
            process = await asyncio.create_subprocess_exec(
                *argv, *extra, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                env=dict(env) if env is not None else None, start_new_session=True)
        worker = HandWorker(worker_id, process)
        self.hand_workers.append(worker)
        return worker

    async def stop_all(self) -> None:
        for supervisor in self.supervisors:
            await supervisor.stop()
        for worker in self.hand_workers:
            if worker.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(worker.process.wait(), 10)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(worker.pid, signal.SIGKILL)
            await worker.process.wait()

    # the queue and the bus

    async def enqueue(self, *tasks: NewTask) -> list[int]:
        return await self.store.enqueue_plan(self.session_id, list(tasks))

    async def task(self, task_id: int) -> Task:
        return await self.store.get_task(task_id)

    async def messages(self, kind: str | None = None, channel: str | None = None
                       ) -> list[Message]:
        channel = channel or session_channel(self.session_id)
        found, after = [], 0
        while batch := await self.store.read([channel], after):
            found += [m for m in batch if kind is None or m.kind == kind]
            after = batch[-1].id
        return found

    async def crashes(self) -> list[WorkerCrashed]:
        return [WorkerCrashed.model_validate(m.body)
                for m in await self.messages("worker.crashed", WORKERS_CHANNEL)]

    async def wait_until(self, predicate: Predicate, timeout: float = HANG_S,
                         what: str = "") -> Any:
        return await wait_until(self.store, predicate, timeout, what, self.describe)

    async def wait_for_tasks(
        self, task_ids: Iterable[int], statuses: Iterable[str] | None = None,
        timeout: float = HANG_S,
    ) -> list[Task]:
        """Wait until every task is in one of `statuses` (default: any terminal one)."""
        ids, wanted = list(task_ids), set(statuses or ())

        async def settled() -> list[Task] | None:
            tasks = [await self.store.get_task(i) for i in ids]
            ok = all((t.status in wanted) if wanted else t.status.is_terminal for t in tasks)
            return tasks if ok else None

        found: list[Task] = await self.wait_until(
            settled, timeout, f"tasks {ids} to be {sorted(wanted) or 'finished'}")
        return found

    def output_of(self, task: Task) -> BlackboardFile:
        """The blackboard file a legacy skill's return value was written to."""
        assert task.result, f"task {task.id} has no result: {task}"
        return self.board.read(task.result["data"]["output"])

    def worker_logs(self) -> list[Path]:
        return sorted((self.home / "logs").glob("*.log"))

    def log_lines(self, containing: str) -> list[str]:
        """Every worker log line with `containing` in it."""
        return [line for log in self.worker_logs()
                for line in log.read_text(errors="replace").splitlines() if containing in line]

    async def describe(self) -> str:
        """The tasks, the crashes and the tail of every worker log, for a failure message."""
        lines = ["tasks:"]
        for t in await self.store.list_tasks(self.session_id):
            lines.append(f"  #{t.id} {t.skill} {t.status} attempt {t.attempt}/"
                         f"{t.max_attempts} owner={t.lease_owner} "
                         f"{error_headline(t.error)[:120]}")
        lines += [f"crash: {c}" for c in await self.crashes()]
        for log in self.worker_logs():
            tail = log.read_text(errors="replace").splitlines()[-15:]
            lines += [f"--- {log.name}", *tail]
        return "\n".join(lines)


@contextlib.asynccontextmanager
async def open_swarm(tmp_path: Path, store_url: str | None = None) -> AsyncIterator[Swarm]:
    """A store (`store_url`, default the SQLite file of `tmp_path/home`), one session, a
    skills directory; every process started through the Swarm is stopped and reaped on
    the way out."""
    home = tmp_path / "home"
    home.mkdir()
    store = await open_store(store_url or default_store_url(home), sender="test")
    session = await store.create_session("fault isolation test", {})
    Blackboard(home / "blackboard", session.id).create()
    swarm = Swarm(home, tmp_path / "skills", store, session.id, store_url=store_url)
    swarm.skills_dir.mkdir()
    try:
        yield swarm
    finally:
        try:
            await swarm.stop_all()
        finally:
            await store.close()
