"""The per-task outcome ladder: done, retry, failed for good, or timed out."""

from __future__ import annotations

import errno
import logging
import traceback
from dataclasses import dataclass

from blackboard import BlackboardError
from skills import BadSkillInput, Fail, Retry, SkillResult, SyncSkillTimedOut, UnknownSkill
from taskqueue import DiskFull, Store, StoreError, SwarmError, Task, error_headline
from worker.completions import CompletionBatcher

logger = logging.getLogger(__name__)

# Errors no retry can fix: the task fails at once.
PERMANENT = (Fail, BadSkillInput, UnknownSkill, BlackboardError)


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended, and whether this worker must be replaced afterwards."""

    result: SkillResult | None = None
    error: str | None = None
    retry: bool = True
    retry_in: float | None = None
    recycle_worker: bool = False
    # Nothing can be recorded: the worker stops, and the task goes back to the queue.
    disk_full: bool = False


def is_disk_full(exc: Exception) -> bool:
    """The database, or a file a skill wrote (the blackboard), met a full disk."""
    return isinstance(exc, DiskFull) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT))


def classify(exc: Exception, timeout_s: float) -> Outcome:
    """How an attempt that raised `exc` ended: retried, failed for good, or timed out."""
    if is_disk_full(exc):
        return Outcome(error=f"the disk is full: {exc}", disk_full=True)
    if isinstance(exc, Retry):
        return Outcome(error=f"retry requested: {exc}", retry_in=exc.defer)
    if isinstance(exc, PERMANENT):
        return Outcome(error=f"{type(exc).__name__}: {exc}", retry=False)
    if isinstance(exc, SyncSkillTimedOut):
        return Outcome(error=str(exc), recycle_worker=True)
    if isinstance(exc, TimeoutError):
        return Outcome(error=f"timed out after {timeout_s:g} s")
    trace = "".join(traceback.format_exception(exc)).strip()
    return Outcome(error=trace)


async def record(
    store: Store, completions: CompletionBatcher, task: Task, outcome: Outcome
) -> None:
    """Write the outcome; a worker that lost the task's lease changes nothing."""
    try:
        if outcome.error is None:
            result = outcome.result.model_dump() if outcome.result else None
            if not await completions.complete(task.id, task.attempt, result):
                logger.info("task %d attempt %d: lease lost, result dropped",
                            task.id, task.attempt)
            return
        status = await store.fail(task.id, task.attempt, outcome.error,
                                  retry=outcome.retry, retry_in=outcome.retry_in)
        logger.info("task %d attempt %d failed -> %s: %s", task.id, task.attempt,
                    status or "lease lost", error_headline(outcome.error))
    except StoreError:
        # The database cannot be written: the caller decides (the task is not at fault).
        raise
    except SwarmError as exc:
        # The result cannot be written (e.g. not JSON): a retry cannot fix that either.
        logger.error("task %d: recording the outcome failed: %s", task.id, exc)
        await store.fail(task.id, task.attempt, f"recording the outcome failed: {exc}",
                         retry=False)
