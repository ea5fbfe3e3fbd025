"""The one exception root of swarm, and the queue's own failures.

Every error a user can cause or meet derives from `SwarmError`; its message names the
thing (file, field, task, session) and the reason, so the CLI prints it as one line.

A leaf: it imports nothing of swarm, so every package (the blackboard too) may import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class SwarmError(Exception):
    """Root of every error swarm reports to a user."""


class StoreError(SwarmError):
    """The database cannot be opened or used: the message names the path and the cause."""


class StoreBusy(StoreError):
    """The database stayed locked by other writers past every retry."""


class DiskFull(StoreError):
    """The disk holding the workspace is full: nothing more can be recorded until space
    is freed. Nothing is lost; the session can be resumed then."""


class InvalidTask(SwarmError):
    """A task or plan was refused before anything was enqueued."""


class DuplicateTaskKey(InvalidTask):
    """A task of the session already has that key."""


class UnknownSession(SwarmError):
    """No session has that id (or id prefix)."""


class AmbiguousSession(SwarmError):
    """More than one session starts with that prefix."""


class UnknownTask(SwarmError):
    """No task has that id."""


class InvalidBlob(SwarmError):
    """A blob was refused: its content's sha256 is not the hash it was given under."""


def error_headline(error: str | None) -> str:
    """The line of a recorded error that says what went wrong (a traceback's last line),
    or "" when nothing was recorded."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def describe_validation(exc: ValidationError, where: Callable[[tuple[int | str, ...]], str]) -> str:
    """`WHERE: reason` for each problem, `;`-separated; `where` names a location the way
    the user wrote it (a key path, an environment variable, a task id). A key the model
    does not know reads "unknown key"."""
    problems = []
    for error in exc.errors():
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        problems.append(f"{where(tuple(error['loc']))}: {reason}")
    return "; ".join(problems)
