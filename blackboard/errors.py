"""The blackboard's exceptions: one root, a few precise subclasses.

Each exception keeps its constructor arguments in ``args`` so that it pickles across
process boundaries (workers are processes), and formats its message in ``__str__``.
"""

from __future__ import annotations

from typing import Any

from taskqueue.errors import SwarmError


class BlackboardError(SwarmError):
    """The root of every error the blackboard raises; a `SwarmError` like every error a
    user can meet."""


class InvalidSessionId(BlackboardError):
    """A session id that cannot name a single directory under the blackboard root."""

    def __init__(self, session_id: str, reason: str) -> None:
        super().__init__(session_id, reason)
        self.session_id = session_id
        self.reason = reason

    def __str__(self) -> str:
        return f"blackboard session id {self.session_id!r} is refused: {self.reason}"


class InvalidBlackboardPath(BlackboardError):
    """A path given to the blackboard that it refuses to use."""

    verb = "is refused in"

    def __init__(self, path: str, session_id: str, reason: str) -> None:
        super().__init__(path, session_id, reason)
        self.path = path
        self.session_id = session_id
        self.reason = reason

    def __str__(self) -> str:
        return f"blackboard path {self.path!r} {self.verb} session {self.session_id}: {self.reason}"


class PathOutsideSession(InvalidBlackboardPath):
    """A path that would reach outside the session directory ('..', absolute, symlink)."""

    verb = "leaves"


class BlackboardFileNotFound(BlackboardError):
    """A read of a file that does not exist, or of a session whose directory does not.

    ``path`` is empty when the session directory itself is missing.
    """

    def __init__(self, path: str, session_id: str) -> None:
        super().__init__(path, session_id)
        self.path = path
        self.session_id = session_id

    def __str__(self) -> str:
        if not self.path:
            return f"the blackboard of session {self.session_id} does not exist"
        return f"blackboard file {self.path!r} not found in session {self.session_id}"


class OverwriteRefused(BlackboardError):
    """A write over a file that another task wrote."""

    def __init__(
        self, path: str, session_id: str, owner_task: int, writer_task: int | None
    ) -> None:
        super().__init__(path, session_id, owner_task, writer_task)
        self.path = path
        self.session_id = session_id
        self.owner_task = owner_task
        self.writer_task = writer_task

    def __str__(self) -> str:
        writer = (
            "a write without a task" if self.writer_task is None else f"task {self.writer_task}"
        )
        return (
            f"blackboard file {self.path!r} in session {self.session_id} was written by "
            f"task {self.owner_task}; {writer} may not overwrite it"
        )


class TextNotEncodable(BlackboardError, UnicodeEncodeError):
    """A write whose text UTF-8 cannot encode (a lone surrogate): nothing is written.

    Still a ``UnicodeEncodeError`` for callers that caught that before it was one of ours.
    """

    def __init__(self, path: str, session_id: str, cause: UnicodeEncodeError) -> None:
        UnicodeEncodeError.__init__(
            self, cause.encoding, cause.object, cause.start, cause.end, cause.reason)
        self.path = path
        self.session_id = session_id

    def __reduce__(self) -> tuple[Any, ...]:
        cause = UnicodeEncodeError(self.encoding, self.object, self.start, self.end, self.reason)
        return (TextNotEncodable, (self.path, self.session_id, cause))

    def __str__(self) -> str:
        return (
            f"blackboard file {self.path!r} in session {self.session_id} cannot be written: "
            f"its text holds U+{ord(self.object[self.start]):04X}, which UTF-8 cannot encode "
            f"({self.reason})"
        )
