"""`swarm cancel`: stop a session or one task, refusing what has already finished."""

from __future__ import annotations

from taskqueue import SessionStatus, Store, SwarmError, TaskStatus

CANCEL_REASON = "cancelled by the user"


class CancelRefused(SwarmError):
    """There is nothing left to cancel: the session or task has already finished."""


async def cancel_session(store: Store, prefix: str) -> str:
    """Cancel the session named by `prefix`; returns what was done, in one line."""
    session = await store.find_session(prefix)
    if session.status is not SessionStatus.RUNNING:
        raise CancelRefused(f"session {session.id} already finished ({session.status.value}); "
                            "nothing to cancel")
    count = await store.cancel_session(session.id, CANCEL_REASON)
    # It may have finished between the check and the cancel: say what really happened.
    after = await store.get_session(session.id)
    if after.status is not SessionStatus.CANCELLED:
        raise CancelRefused(f"session {session.id} finished ({after.status.value}) "
                            "before it could be cancelled")
    return f"session {session.id} cancelled ({count} unfinished tasks cancelled)"


async def cancel_task(store: Store, task_id: int) -> str:
    """Cancel one task (its dependents are decided as for any failed task); returns what
    was done, in one line."""
    task = await store.get_task(task_id)
    if task.status.is_terminal:
        raise CancelRefused(f"task {task.id} already finished ({task.status.value}); "
                            "nothing to cancel")
    if not await store.cancel_task(task.id, CANCEL_REASON):
        finished = await store.get_task(task.id)
        raise CancelRefused(f"task {task.id} finished ({finished.status.value}) "
                            "before it could be cancelled")
    if task.status is TaskStatus.RUNNING:
        return f"task {task.id} cancelled; its worker is asked to stop it"
    return f"task {task.id} cancelled"
