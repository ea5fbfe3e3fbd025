"""`swarm cancel`: stop a session, refusing one that has already finished."""

from __future__ import annotations

from taskqueue import SessionStatus, Store, SwarmError

CANCEL_REASON = "cancelled by the user"


class CancelRefused(SwarmError):
    """There is nothing left to cancel: the session has already finished."""


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
