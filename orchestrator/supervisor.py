"""The supervisor: keeps each role's workers alive, and makes a dead worker cost only a
restart.

Each worker is a real process in its own process group. A death is noticed at once (the
process exits) or by silence (no heartbeat: the group is killed). The dead worker's leases
are released at once, so its tasks run again elsewhere with the attempt counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from orchestrator.crash_loops import HEALTHY_AFTER_S
from orchestrator.supervisor_config import SupervisorConfig, worker_argv, worker_log_path
from orchestrator.unserved_roles import WORKER_WANTED, serving_workers
from taskqueue import (
    HUMAN_ROLE,
    WORKERS_CHANNEL,
    DiskFull,
    Store,
    StoreError,
    TaskStatus,
    WorkerStatus,
    backoff_s,
    session_channel,
)
from taskqueue.messages import WorkerCrashed
from worker.config import HARD_MEMORY_FACTOR
from worker.exit_codes import EXIT_DISK_FULL, EXIT_RECYCLE, EXIT_STOPPED
from worker.output_log import cap_bytes, rotate_log_if_full
from worker.vitals import rss_mb_of

logger = logging.getLogger(__name__)

# The least time between two counts of the tasks per role (see _start_roles_when_needed).
ROLE_CHECK_GAP_S = 0.05


@dataclass
class Slot:
    """One place for a worker of a role; its process is replaced when it dies."""

    role: str
    index: int
    worker_id: str = ""
    process: asyncio.subprocess.Process | None = None
    spawned_at: float = 0.0
    restarts: int = 0
    consecutive_crashes: int = 0
    crash_times: list[float] = field(default_factory=list)
    killed_for: str = ""


class Supervisor:
    """Starts, watches, restarts and stops the workers of one configuration."""

    def __init__(self, config: SupervisorConfig, store: Store,
                 on_failure: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self._store = store
        # Set when the workers cannot go on (the disk is full); `on_failure` is called then.
        self.failure: DiskFull | None = None
        self._on_failure = on_failure
        self._slots = [Slot(role, index) for role, rw in config.roles.items()
                       for index in range(rw.workers)]
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.failing_roles: set[str] = set()
        self._started_roles: set[str] = set()
        # Roles with tasks and no slot here: when each was first seen (time.monotonic()).
        self.unserved_since: dict[str, float] = {}
        # The last crash of each role, in words: the reason its tasks fail when it keeps on.
        self.last_crash: dict[str, str] = {}
        self._log_dir = config.home / "logs"

    @property
    def slots(self) -> list[Slot]:
        return list(self._slots)

    @property
    def worker_ids(self) -> set[str]:
        """The ids of the workers in its slots now (the last started in each)."""
        return {slot.worker_id for slot in self._slots if slot.worker_id}

    async def start(self) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        if self.config.start_roles_when_needed:
            await self._start_needed_roles()
            self._keep(self._start_roles_when_needed(), "supervisor-roles")
        else:
            for role in self.config.roles:
                await self._start_role(role)
        self._keep(self._watch(), "supervisor-watch")

    async def _start_role(self, role: str) -> None:
        self._started_roles.add(role)
        for slot in self._slots:
            if slot.role == role:
                await self._spawn(slot)

    async def _start_roles_when_needed(self) -> None:
        """Start a role's workers as soon as its first task appears."""
        while not self._stopping:
            seen = self._store.news_version
            if self._started_roles >= set(self.config.roles):
                # Only roles with no workers here are left to notice: no hurry.
                await asyncio.sleep(self.config.watch_interval_s)
            else:
                # Every change wakes this loop: a short pause bounds the counting it costs.
                await asyncio.sleep(ROLE_CHECK_GAP_S)
                await self._store.wait_for_news(self.config.watch_interval_s, seen)
            try:
                await self._start_needed_roles()
            except DiskFull as exc:
                self._fail(exc)
                return
            except Exception:
                logger.exception("supervisor could not count the tasks per role; trying again")

    async def _start_needed_roles(self) -> None:
        """Start the roles that have unfinished tasks; those with ready ones first."""
        counts = await self._store.counts(self.config.session_id)
        unfinished = {c.role for c in counts if not c.status.is_terminal} - {HUMAN_ROLE}
        ready = {c.role for c in counts if c.status is TaskStatus.QUEUED}
        for role in sorted(unfinished - self._started_roles, key=lambda r: (r not in ready, r)):
            if role in self.config.roles:
                await self._start_role(role)
            elif role not in self.unserved_since:
                await self._report_unserved(role)

    async def _report_unserved(self, role: str) -> None:
        """A role with tasks but no workers here waits for a hand-started worker: say so,
        once, on the log and the session's bus, unless one already serves it."""
        self.unserved_since[role] = time.monotonic()
        session_id = self.config.session_id
        if session_id is None or await serving_workers(self._store, role, session_id):
            return
        hint = self.start_hint.format(role=role)
        logger.warning("no worker for role %r: %s", role, hint)
        await self._store.publish(session_channel(session_id), {"role": role, "hint": hint},
                                  kind=WORKER_WANTED)

    @property
    def start_hint(self) -> str:
        """How to start a worker of a role (`{role}` left to fill in)."""
        return f"start one with: python -m worker --role {{role}} --home {self.config.home}"

    def _keep(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _spawn(self, slot: Slot) -> None:
        slot.worker_id = f"{slot.role}.{slot.index}-{secrets.token_hex(3)}"
        log_path = worker_log_path(self.config, slot.role, slot.index)
        argv = worker_argv(self.config, slot.role, slot.worker_id, os.getpid(), log_path)
        # The worker caps its log once it has taken its output over; what it prints before
        # (an import error) is appended here: a log already full is rotated first, so a
        # slot that keeps failing that early does not grow it either.
        rotate_log_if_full(log_path, cap_bytes(self.config.worker.max_log_mb))
        # A local append-only file: opening it does not block the loop for long.
        with open(log_path, "ab") as log:  # noqa: ASYNC230
            slot.process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,  # its own group: killpg reaches a skill's children
                env={**os.environ, **self.config.worker_env},
            )
        slot.spawned_at = time.time()
        slot.killed_for = ""
        logger.info("started worker %s (pid %d)", slot.worker_id, slot.process.pid)
        self._keep(self._await_exit(slot, slot.process, slot.worker_id), f"reap-{slot.worker_id}")

    async def _await_exit(
        self, slot: Slot, process: asyncio.subprocess.Process, worker_id: str
    ) -> None:
        code = await process.wait()
        # What its skills started and left behind (a child ignoring SIGTERM) goes with it.
        _signal_group(process, signal.SIGKILL)
        if self._stopping:
            return
        await self._handle_exit(slot, process.pid, worker_id, code)

    async def _handle_exit(self, slot: Slot, pid: int, worker_id: str, code: int) -> None:
        if code == EXIT_DISK_FULL and not slot.killed_for:
            # A replacement would meet the same full disk: stop here (the run is resumable).
            self._fail(DiskFull(f"{self.config.home}: the disk is full "
                                f"(worker {worker_id} could not write)"))
        delay = 0.0
        try:
            delay = await self._record_exit(slot, pid, worker_id, code)
        except DiskFull as exc:
            self._fail(exc)
        if self.failure is not None:
            return
        slot.restarts += 1
        await asyncio.sleep(delay)
        if not self._stopping:
            await self._spawn(slot)

    def _fail(self, failure: DiskFull) -> None:
        if self.failure is None:
            logger.info("workers cannot go on: %s", failure)
            self.failure = failure
            self._on_failure()

    async def _record_exit(self, slot: Slot, pid: int, worker_id: str, code: int) -> float:
        """Give back the dead worker's tasks and report a crash; returns the restart delay."""
        planned = code in (EXIT_STOPPED, EXIT_RECYCLE, EXIT_DISK_FULL) and not slot.killed_for
        reason = slot.killed_for or _describe_exit(code)
        released = await self._store.release_worker(worker_id, f"worker {worker_id} {reason}")
        await self._store.set_worker_status(
            worker_id, WorkerStatus.STOPPED if planned else WorkerStatus.DEAD)
        if planned:
            logger.info("worker %s exited (%s)", worker_id, reason)
            slot.consecutive_crashes = 0
            delay = 0.0
        else:
            delay = self._count_crash(slot)
            self.last_crash[slot.role] = f"worker {worker_id} {reason}"
            await self._store.publish(WORKERS_CHANNEL, WorkerCrashed(
                worker=worker_id, role=slot.role, pid=pid,
                exit_code=code if code >= 0 else None, signal=-code if code < 0 else None,
                released=released, reason=self._crash_note(slot, reason, delay)))
            logger.warning("worker %s %s; released %s; restart in %.2f s",
                           worker_id, reason, released, delay)
        return delay

    def _count_crash(self, slot: Slot) -> float:
        """Record a crash; the restart delay grows while the slot keeps crashing."""
        # A worker that ran this long before crashing was healthy: the backoff starts over.
        if time.time() - slot.spawned_at > HEALTHY_AFTER_S:
            slot.consecutive_crashes = 0
        now = time.monotonic()
        window = self.config.crash_loop_window_s
        slot.crash_times = [t for t in slot.crash_times if now - t < window] + [now]
        slot.consecutive_crashes += 1
        recent = sum(len([t for t in s.crash_times if now - t < window])
                     for s in self._slots if s.role == slot.role)
        if recent >= self.config.crash_loop_count:
            self.failing_roles.add(slot.role)
        # The whole step, no jitter: one supervisor paces its own restarts, there is no
        # crowd of processes to spread out.
        return backoff_s(slot.consecutive_crashes, self.config.restart_backoff_s,
                         self.config.restart_backoff_max_s)

    def _crash_note(self, slot: Slot, reason: str, delay: float) -> str:
        if slot.role in self.failing_roles:
            return (f"{reason}; role {slot.role!r} keeps crashing "
                    f"({self.config.crash_loop_count}+ crashes in "
                    f"{self.config.crash_loop_window_s:g} s), next restart in {delay:.1f} s")
        return reason

    async def _watch(self) -> None:
        """Kill the silent, requeue expired leases (of workers not ours, too), heal roles."""
        while not self._stopping:
            await asyncio.sleep(self.config.watch_interval_s)
            try:
                await self._kill_silent_workers()
                self._kill_workers_past_memory_limit()
                await self._store.requeue_expired()
            except DiskFull as exc:
                self._fail(exc)
                return
            except Exception:
                logger.exception("supervisor watch failed; trying again")

    async def _kill_silent_workers(self) -> None:
        # Stopped ones too: a worker that said it stopped but did not exit is hung.
        beats = {w.id: w.heartbeat_at
                 for w in await self._store.list_workers(include_stopped=True)}
        now = time.time()
        for slot in self._slots:
            process = slot.process
            if process is None or process.returncode is not None or slot.killed_for:
                continue
            last = beats.get(slot.worker_id)
            silent_for = now - (last if last is not None else slot.spawned_at)
            limit = (self.config.heartbeat_timeout_s if last is not None
                     else self.config.startup_timeout_s)
            if silent_for > limit:
                slot.killed_for = f"sent no heartbeat for {silent_for:.1f} s and was killed"
                logger.warning("worker %s is hung: killing its process group", slot.worker_id)
                _signal_group(process, signal.SIGKILL)
            elif slot.role in self.failing_roles and now - slot.spawned_at > 3 * limit:
                self.failing_roles.discard(slot.role)

    def _kill_workers_past_memory_limit(self) -> None:
        """SIGKILL a worker whose resident memory passed the hard limit; its tasks are
        released with the reason, the attempt counted, and die once attempts run out."""
        limit = HARD_MEMORY_FACTOR * self.config.worker.max_rss_mb
        for slot in self._slots:
            process = slot.process
            if process is None or process.returncode is not None or slot.killed_for:
                continue
            memory = rss_mb_of(process.pid)
            if memory is not None and memory > limit:
                slot.killed_for = (f"passed the memory limit ({memory:.0f} MB resident, over "
                                   f"{limit:.0f} MB: {HARD_MEMORY_FACTOR:g} x max_rss_mb) "
                                   "and was killed")
                logger.warning("worker %s %s", slot.worker_id, slot.killed_for)
                _signal_group(process, signal.SIGKILL)

    async def stop(self) -> None:
        """SIGTERM every worker, give them their grace period, then SIGKILL; always reap."""
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        live = [s for s in self._slots if s.process and s.process.returncode is None]
        for slot in live:
            assert slot.process is not None
            _signal_group(slot.process, signal.SIGTERM)
        deadline = self.config.worker.grace_s + self.config.stop_timeout_s
        waits = [asyncio.ensure_future(s.process.wait()) for s in live if s.process]
        if waits:
            await asyncio.wait(waits, timeout=deadline)
        for slot in live:
            assert slot.process is not None
            if slot.process.returncode is None:
                logger.warning("worker %s ignored SIGTERM: killing it", slot.worker_id)
                _signal_group(slot.process, signal.SIGKILL)
            await slot.process.wait()
            _signal_group(slot.process, signal.SIGKILL)
            try:
                # A worker killed before it could release its tasks: release them now.
                await self._store.release_worker(slot.worker_id,
                                                 f"worker {slot.worker_id} stopped")
                await self._store.set_worker_status(slot.worker_id, WorkerStatus.STOPPED)
            except StoreError as exc:
                # Given back by the next run's start (its process is gone) or at lease expiry.
                logger.info("could not give back the tasks of worker %s: %s",
                            slot.worker_id, exc)


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    if code == EXIT_RECYCLE:
        return "asked to be replaced"
    if code == EXIT_DISK_FULL:
        return "stopped: the disk is full"
    return f"exited with status {code}"
