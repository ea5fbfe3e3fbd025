"""The worker: claim up to the free slots, run each task's skill, record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blackboard import Blackboard
from blackboard.copies import HostCopy
from skills import (
    SkillKind,
    SkillRegistry,
    SkillSpec,
    TaskContext,
    UnknownSkill,
    run_skill,
)
from skills.roles import goes_on_when_budget_spent
from taskqueue import (
    WORKERS_CHANNEL,
    DiskFull,
    StoreError,
    Task,
    TaskStatus,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
    open_store,
)
from taskqueue.messages import SkillLoadFailed
from worker import outcome
from worker.completions import CompletionBatcher
from worker.config import HARD_MEMORY_FACTOR, WorkerConfig, new_worker_id
from worker.exit_codes import EXIT_DISK_FULL, EXIT_RECYCLE, EXIT_STOPPED
from worker.vitals import (
    end_me_if_blocked_for,
    kill_rest_of_my_group,
    parent_is_gone,
    rss_mb,
    signal_me_when_parent_dies,
)

if TYPE_CHECKING:
    from skills.corpus_snapshots import SnapshotCorpora
    from skills.llm import LLMConfig, ModelEndpoint

logger = logging.getLogger(__name__)

# An orphaned worker gives its running tasks this long before it leaves anyway.
ORPHAN_GRACE_S = 2.0

# One attempt of a task, started when its job first runs: how it ended.
Attempt = Callable[[], Awaitable[outcome.Outcome]]


@dataclass
class Running:
    task: Task
    context: TaskContext
    job: asyncio.Task[None]
    # A legacy skill: it runs in a thread, which a cancellation cannot stop. (Taken to be
    # still running whenever the job is cancelled before its outcome is recorded.)
    in_thread: bool
    # The skill has returned or raised; only its outcome is being written.
    recording: bool = False


class Worker:
    """One worker process's event loop. `run()` returns the process exit status."""

    def __init__(self, config: WorkerConfig, registry: SkillRegistry,
                 llm: LLMConfig | None = None) -> None:
        self.config = config
        self._llm_config = llm if llm is not None and llm.enabled else None
        self._model: ModelEndpoint | None = None
        self.id = config.worker_id or new_worker_id(config.role)
        self._registry = registry
        self._running: dict[int, Running] = {}
        self._slot_freed = asyncio.Event()
        self._stopping = asyncio.Event()
        # Held while a claim is under way: see _claim_settled.
        self._claiming = asyncio.Lock()
        self._grace_s = config.grace_s
        self._exit_code = EXIT_STOPPED
        self.stuck_threads = False
        self._boards: dict[str, Blackboard] = {}
        # Per session, this host's copy of its files in the store (`_copy_board`).
        self._board_copies: dict[str, HostCopy] = {}

    async def run(self) -> int:
        store = await open_store(
            self.config.store_url, sender=self.id, retry=self.config.retry_policy())
        self._store = store
        self._completions = CompletionBatcher(store)
        self._corpora: SnapshotCorpora | None = None
        if self.config.board_through_store:
            # A host that shares only the store reads the sessions' corpora as snapshots;
            # imported here, as only such a worker needs them.
            from skills.corpus_snapshots import SnapshotCorpora

            self._corpora = SnapshotCorpora(store, self.config.home)
        if self._llm_config is not None:
            # Imported here: only a worker with a model pays for the HTTP client's import.
            from skills.llm.endpoint import ModelEndpoint

            self._model = ModelEndpoint(self._llm_config, store, owner=self.id,
                                        keeps_running=goes_on_when_budget_spent)
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(self.config.concurrency + 2, thread_name_prefix="skill")
        loop.set_default_executor(executor)
        await store.register_worker(WorkerInfo(
            id=self.id, role=self.config.role, pid=os.getpid(), host=socket.gethostname(),
            session_id=self.config.session_id, concurrency=self.config.concurrency))
        self._install_signal_handlers()
        vitals = asyncio.create_task(self._heartbeats(), name="heartbeats")
        switch = asyncio.create_task(self._end_me_if_blocked(), name="blocked-limit")
        logger.info("worker %s (role %s) started", self.id, self.config.role)
        try:
            await self._claim_and_run()
            await self._finish_running()
        finally:
            vitals.cancel()
            switch.cancel()
            if self.stuck_threads:
                # asyncio.run would join the stuck thread forever when it shuts the default
                # executor down; hand it an idle one (the caller leaves with os._exit).
                executor.shutdown(wait=False, cancel_futures=True)
                loop.set_default_executor(ThreadPoolExecutor(1))
            await self._leave()
            if killed := kill_rest_of_my_group():
                logger.info("killed the processes its skills left behind: %s", killed)
        return self._exit_code

    async def _claim_and_run(self) -> None:
        """The loop: while not stopping, fill the free slots, then wait for work or a slot."""
        while not self._stopping.is_set():
            seen = self._store.news_version
            free = self.config.concurrency - len(self._running)
            if free > 0:
                try:
                    async with self._claiming:
                        claimed = await self._store.claim(
                            self.id, [self.config.role], free, lease_s=self.config.lease_s,
                            session_id=self.config.session_id)
                except DiskFull as exc:
                    self._out_of_space(str(exc))
                    continue
                if claimed:
                    claimed_at = time.monotonic()
                    # Skill files edited since the last claim are reloaded before the
                    # tasks start (not on every wake-up: that is a directory scan).
                    if changed := self._registry.refresh():
                        await self._announce_load_failures(changed)
                    for task in claimed:
                        self._start(task, claimed_at)
                    continue
            await self._wait_for_work(seen, can_claim=free > 0)

    async def _announce_load_failures(self, changed: list[Path]) -> None:
        """Say on the bus which reloaded skill files failed (the registry has logged them,
        and kept their last good version): `run` and `watch` show it."""
        origins = {str(path) for path in changed}
        for failure in self._registry.failures:
            if failure.origin not in origins:
                continue
            body = SkillLoadFailed(worker=self.id, origin=failure.origin, error=failure.error)
            try:
                await self._store.publish(WORKERS_CHANNEL, body, sender=self.id)
            except StoreError as exc:
                logger.warning("could not announce a skill load failure: %s", exc)

    async def _wait_for_work(self, seen: int, *, can_claim: bool) -> None:
        self._slot_freed.clear()
        waits: list[asyncio.Task[Any]] = [asyncio.create_task(self._slot_freed.wait()),
                                          asyncio.create_task(self._stopping.wait())]
        if can_claim:
            waits.append(asyncio.create_task(
                self._store.wait_for_news(self.config.idle_poll_s, seen)))
        await asyncio.wait(waits, timeout=self.config.idle_poll_s,
                           return_when=asyncio.FIRST_COMPLETED)
        for waiter in waits:
            waiter.cancel()

    def _start(self, task: Task, claimed_at: float) -> None:
        timeout_s = task.timeout_s or self.config.task_timeout_s
        try:
            spec = self._registry.for_task(task.skill, task.role)
        except UnknownSkill as exc:
            # Nothing to run: the task fails at once, recorded like any other outcome.
            self._launch(task, self._context(task, task.skill or ""),
                         partial(_decided, outcome.classify(exc, timeout_s)), in_thread=False)
            return
        context = self._context(task, spec.name)
        prepare = (partial(self._copy_board, task.session_id, claimed_at)
                   if self.config.board_through_store else _nothing_to_prepare)
        self._launch(task, context, partial(_attempt, spec, context, timeout_s, prepare),
                     in_thread=spec.kind is SkillKind.LEGACY)

    def _context(self, task: Task, skill_name: str) -> TaskContext:
        context = TaskContext(self._store, task, worker_id=self.id, skill=skill_name,
                              board=self._board_for(task.session_id),
                              board_shared=self.config.board_through_store,
                              corpora=self._corpora)
        if self._model is not None:
            context.llm = self._model.for_task(task, context.progress_note)
        return context

    def _launch(self, task: Task, context: TaskContext,
                attempt: Attempt, *, in_thread: bool) -> None:
        job = asyncio.create_task(self._run_one(task, attempt), name=f"task-{task.id}")
        self._running[task.id] = Running(task, context, job, in_thread)

    async def _run_one(self, task: Task, attempt: Attempt) -> None:
        try:
            ended = await attempt()
        except asyncio.CancelledError:
            # Cancelled because the task was cancelled or lost, or the grace period ran
            # out: the store already says what happens to it.
            self._give_up(task)
            raise
        if running := self._running.get(task.id):
            running.recording = True
        if ended.recycle_worker:
            self._recycle("a sync skill is stuck past its timeout", stuck=True)
        try:
            if self._stopping.is_set():
                await self._claim_settled()
            if ended.disk_full:
                # Not the task's fault, and nothing can be recorded: the task stays leased
                # to this worker, which stops and gives it back (or the supervisor does).
                self._out_of_space(ended.error or "the disk is full")
            else:
                await outcome.record(self._store, self._completions, task, ended)
        except DiskFull as exc:
            self._out_of_space(str(exc))
        except StoreError as exc:
            logger.error("task %d: the outcome could not be recorded (%s); the task goes "
                         "back to the queue when its lease expires", task.id, exc)
        finally:
            self._running.pop(task.id, None)
            self._slot_freed.set()

    def _give_up(self, task: Task) -> None:
        """Forget a cancelled run. A sync skill's thread runs on and cannot be stopped:
        this worker leaves at once (its process exits without waiting for the thread)
        rather than keep the thread's slot, and anyone stopping it, waiting."""
        running = self._running.pop(task.id, None)
        self._slot_freed.set()
        if running is None or not running.in_thread:
            return
        self.stuck_threads = True
        reason = f"task {task.id} was cancelled, but its sync skill's thread cannot be stopped"
        if self._stopping.is_set():
            logger.warning("worker %s: %s; leaving without it", self.id, reason)
        else:
            self._recycle(reason, stuck=True)

    async def _claim_settled(self) -> None:
        """Wait for a claim begun before the stop: a retried task recorded while it is
        under way could be claimed back by this stopping worker, which would then hold
        it past its grace period and give it back with an attempt spent for nothing."""
        async with self._claiming:
            pass

    async def _copy_board(self, session_id: str, claimed_at: float) -> None:
        """Bring this host's copy of the session's blackboard up to the store's: the
        findings of earlier tasks, wherever they ran, are read from it. The copy starts
        from the mark the host keeps on disk, so a restarted worker copies only what is
        new, and so do the other workers of its home."""
        copy = self._board_copies.get(session_id)
        if copy is None:
            copy = HostCopy(self._store, self._board_for(session_id))
            self._board_copies[session_id] = copy
        # The tasks of one claim share one update: one question to the store, not one
        # per task.
        await copy.update(fresh_since=claimed_at)

    def _board_for(self, session_id: str) -> Blackboard:
        board = self._boards.get(session_id)
        if board is None:
            board = Blackboard(self.config.home / "blackboard", session_id)
            board.create()
            self._boards[session_id] = board
        return board

    async def _heartbeats(self) -> None:
        """Every beat: extend leases, report load and memory, notice cancellations,
        a dead parent, and a memory ceiling."""
        while True:
            await asyncio.sleep(self.config.heartbeat_s)
            if parent_is_gone(self.config.parent_pid):
                self._orphaned()
            memory = rss_mb()
            status = WorkerStatus.STOPPING if self._stopping.is_set() else WorkerStatus.RUNNING
            try:
                await self._store.heartbeat(
                    self.id, WorkerBeat(running=sorted(self._running), rss_mb=memory,
                                        status=status),
                    lease_s=self.config.lease_s)
                await self._notice_cancellations()
            except DiskFull as exc:
                self._out_of_space(str(exc))
            except Exception:
                logger.exception("heartbeat failed; trying again next beat")
            if self.config.parent_pid is None and memory > self._hard_memory_limit:
                await self._leave_past_memory_limit(memory)
            if memory > self.config.max_rss_mb and not self._stopping.is_set():
                self._recycle(f"memory {memory:.0f} MB passed the ceiling "
                              f"{self.config.max_rss_mb:.0f} MB")

    @property
    def _hard_memory_limit(self) -> float:
        return HARD_MEMORY_FACTOR * self.config.max_rss_mb

    async def _leave_past_memory_limit(self, memory: float) -> None:
        """With no supervisor to kill it (started by hand), a worker past the hard limit
        gives its tasks back with the reason, the attempt counted, and ends at once: its
        skills would not stop growing for a grace period."""
        reason = (f"worker {self.id} passed the memory limit ({memory:.0f} MB resident, over "
                  f"{self._hard_memory_limit:.0f} MB: {HARD_MEMORY_FACTOR:g} x max_rss_mb) "
                  "and ended itself")
        logger.error("%s", reason)
        with contextlib.suppress(StoreError):
            await self._store.release_worker(self.id, reason)
        os._exit(EXIT_RECYCLE)

    async def _end_me_if_blocked(self) -> None:
        """Renew the kernel's deadline at every turn of the loop; once stopping, leave it
        at the grace period plus the limit: a skill holding the GIL stops every Python
        thread, and this process must still end when no supervisor is left to kill it."""
        limit = self.config.blocked_limit_s
        if limit is None:
            return
        while not self._stopping.is_set():
            end_me_if_blocked_for(limit)
            await asyncio.sleep(min(self.config.heartbeat_s, limit / 4))
        end_me_if_blocked_for(self._grace_s + limit)

    async def _notice_cancellations(self) -> None:
        for task_id, running in list(self._running.items()):
            current = await self._store.get_task(task_id)
            attempt = running.task.attempt
            lost = current.status is not TaskStatus.RUNNING or current.attempt != attempt
            # A run recording its outcome (which the store fences) has nothing left to stop.
            if lost and not running.recording and not running.context.cancelled:
                logger.info("task %d is %s: cancelling its run", task_id, current.status)
                running.context.mark_cancelled()
                running.job.cancel()

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop)
        loop.add_signal_handler(signal.SIGINT, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self._orphaned)
        if self.config.parent_pid is not None:
            signal_me_when_parent_dies(signal.SIGHUP)

    def stop(self) -> None:
        """Stop claiming; running tasks get the grace period, then are released."""
        if not self._stopping.is_set():
            logger.info("worker %s stopping", self.id)
        self._stopping.set()

    def _orphaned(self) -> None:
        logger.warning("worker %s: the supervisor is gone; leaving", self.id)
        self._grace_s = min(self._grace_s, ORPHAN_GRACE_S)
        self.stop()

    def _recycle(self, reason: str, *, stuck: bool = False) -> None:
        logger.warning("worker %s will be replaced: %s", self.id, reason)
        if self._exit_code != EXIT_DISK_FULL:
            self._exit_code = EXIT_RECYCLE
        self.stuck_threads = self.stuck_threads or stuck
        self.stop()

    def _out_of_space(self, reason: str) -> None:
        """The disk is full: stop, and tell the supervisor not to start a replacement."""
        if self._exit_code != EXIT_DISK_FULL:
            logger.error("worker %s stopping: %s", self.id, reason)
        self._exit_code = EXIT_DISK_FULL
        self.stop()

    async def _finish_running(self) -> None:
        jobs = [r.job for r in self._running.values()]
        if jobs:
            await asyncio.wait(jobs, timeout=self._grace_s)
        for running in list(self._running.values()):
            running.job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*jobs, return_exceptions=True)

    async def _leave(self) -> None:
        """Give back unfinished tasks and deregister; the store is closed last."""
        with contextlib.suppress(Exception):
            await self._completions.close()
        if self._model is not None:
            with contextlib.suppress(Exception):
                await self._model.close()
        why = ": the disk is full" if self._exit_code == EXIT_DISK_FULL else ""
        try:
            released = await self._store.release_worker(self.id, f"worker {self.id} stopped{why}")
            if released:
                logger.info("released tasks %s", released)
            await self._store.set_worker_status(self.id, WorkerStatus.STOPPED)
        except StoreError as exc:
            # The supervisor gives the tasks back when it sees this process gone; a resume
            # does when no supervisor is left; their leases expire otherwise.
            logger.error("worker %s could not give its tasks back: %s", self.id, exc)
        finally:
            await self._store.close()


async def _attempt(spec: SkillSpec, context: TaskContext, timeout_s: float,
                   prepare: Callable[[], Awaitable[None]]) -> outcome.Outcome:
    """Prepare, then run the skill once; how it ended, as an outcome (cancellation passes
    through)."""
    try:
        await prepare()
        result = await run_skill(spec, context, timeout_s)
    except Exception as exc:
        return outcome.classify(exc, timeout_s)
    return outcome.Outcome(result=result)


async def _nothing_to_prepare() -> None:
    return None


async def _decided(ended: outcome.Outcome) -> outcome.Outcome:
    """An outcome known before anything ran (the task's skill does not exist)."""
    return ended
