"""Leases: a claimed task belongs to its worker until the lease runs out."""

from __future__ import annotations

LEASE_SECONDS = 30.0


class LeaseBook:
    """Who holds which task, and until when."""

    def __init__(self) -> None:
        self._deadlines: dict[int, float] = {}

    def grant(self, task_id: int, now: float) -> float:
        deadline = now + LEASE_SECONDS
        self._deadlines[task_id] = deadline
        return deadline

    def release(self, task_id: int) -> None:
        self._deadlines.pop(task_id, None)

    def expired_tasks(self, now: float) -> list[int]:
        """Tasks whose worker stopped renewing its lease: it crashed, hung or was cut off."""
        return sorted(task for task, deadline in self._deadlines.items() if deadline < now)
