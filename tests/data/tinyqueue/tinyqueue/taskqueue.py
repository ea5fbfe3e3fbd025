"""A task queue in memory: claims hold leases, so tasks outlive their workers."""

from __future__ import annotations

from .leases import LeaseBook


class TaskQueue:
    """Pending tasks in order, and the running ones with their leases."""

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.running: set[int] = set()
        self.leases = LeaseBook()

    def claim(self, now: float) -> int | None:
        """The next pending task for a worker, or None."""
        self.recover_crashed_workers(now)
        if not self.pending:
            return None
        task_id = self.pending.pop(0)
        self.running.add(task_id)
        self.leases.grant(task_id, now)
        return task_id

    def recover_crashed_workers(self, now: float) -> list[int]:
        """Put the tasks of crashed workers back in the queue to be retried."""
        recovered = self.leases.expired_tasks(now)
        for task_id in recovered:
            self.leases.release(task_id)
            self.running.discard(task_id)
            self.pending.append(task_id)
        return recovered
