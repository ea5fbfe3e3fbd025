"""The blackboard of one session: the directory ``<root>/<session_id>/`` and its API."""

from __future__ import annotations

import builtins
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from blackboard.appending import OpenAppend, write_all
from blackboard.atomic import FILE_MODE, folder_lock, write_atomic
from blackboard.errors import (
    BlackboardError,
    BlackboardFileNotFound,
    InvalidBlackboardPath,
    InvalidSessionId,
    OverwriteRefused,
    TextNotEncodable,
)
from blackboard.frontmatter import FrontMatter, render, split
from blackboard.layout import FOLDERS, output_name
from blackboard.listing import list_files, render_tree
from blackboard.paths import ConfinedPath, confine

Clock = Callable[[], datetime]

_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class BlackboardFile(BaseModel):
    """One file read from the blackboard: its path in the session, provenance and body."""

    model_config = ConfigDict(frozen=True)

    path: str
    front_matter: FrontMatter | None
    body: str


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Blackboard:
    """The per-session blackboard directory, ``<root>/<session_id>/``.

    Every path given to it is relative to the session and confined to it; every write is
    atomic, carries front matter, and never replaces a file another task wrote. It knows
    nothing of the queue or the bus: the layer above announces what it writes.
    """

    def __init__(
        self,
        root: Path,
        session_id: str,
        *,
        clock: Clock = _utc_now,
    ) -> None:
        if not _SESSION_ID.fullmatch(session_id):
            raise InvalidSessionId(
                session_id, "use letters, digits, '.', '_' and '-', starting with a letter or digit"
            )
        self._root = Path(root).absolute()
        self._session_id = session_id
        self._clock = clock

    def __repr__(self) -> str:
        return f"Blackboard({str(self._root)!r}, {self._session_id!r})"

    @property
    def path(self) -> Path:
        """The session's directory."""
        return self._root / self._session_id

    @property
    def session_id(self) -> str:
        """The session this blackboard belongs to."""
        return self._session_id

    def create(self) -> None:
        """Make the session directory and its folders; harmless when they exist."""
        for folder in FOLDERS:
            (self.path / folder).mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        """Whether the session directory exists."""
        return self.path.is_dir()

    def write(self, path: str, text: str, meta: FrontMatter | None = None) -> Path:
        """Write ``text`` under front matter ``meta`` to ``path`` atomically; return its location.

        ``meta.time`` is stamped when missing. Overwriting is allowed for a file without a
        task in its front matter and for the same task's own file; a file written by another
        task raises ``OverwriteRefused``. Missing folders on the way are created.
        """
        target, data, writer_task = self._prepare_write(path, text, meta)
        write_atomic(target.absolute, data,
                     check=lambda: self._refuse_foreign_overwrite(path, target, writer_task))
        return target.absolute

    def start_append(self, path: str, text: str, meta: FrontMatter) -> OpenAppend:
        """Write ``text`` under front matter ``meta`` to ``path``, refused as ``write``
        refuses, and keep the file open for additions (``OpenAppend``): the start of a
        file that grows while it is read. Cheaper than ``write`` and unlike it, neither
        atomic nor durable: the first ``durable`` addition makes the file durable, its
        name included."""
        target, data, writer_task = self._prepare_write(path, text, meta)
        fd = self._open_own(path, target, writer_task, os.O_CREAT | os.O_TRUNC)
        appending = OpenAppend(fd, target, self._session_id, name_durable=False)
        try:
            write_all(fd, data)
        except BaseException:
            appending.close()
            raise
        return appending

    def append(self, path: str, text: str, writer_task: int | None, *,
               durable: bool = False) -> Path:
        """Add ``text`` to the end of the file at ``path``, one that ``writer_task`` may
        overwrite (as for ``write``); return its location.

        For a file that grows while it is read (an agent's trace): not atomic, so a
        reader sees each addition at once. Not fsynced unless ``durable``, so a crash may
        lose what was added since the last durable write or append; a ``durable`` append
        makes the whole file durable (its name is, since ``write`` made it). The file
        must exist (``BlackboardFileNotFound``). A writer that adds many times keeps the
        file open instead (``open_append``).
        """
        appending = self.open_append(path, writer_task)
        try:
            appending.add(text, durable=durable)
        finally:
            appending.close()
        return self.path / appending.relative

    def open_append(self, path: str, writer_task: int | None) -> OpenAppend:
        """Open the file at ``path``, one that ``writer_task`` may overwrite, for
        additions at its end (``append``'s checks, made once)."""
        target = confine(self.path, path, self._session_id)
        if not target.absolute.is_file():
            raise BlackboardFileNotFound(target.relative, self._session_id)
        return OpenAppend(self._open_own(path, target, writer_task, 0), target,
                          self._session_id)

    def write_copy(self, path: str, text: str) -> Path:
        """Write ``text``, a whole file (front matter included) written first on another
        host, at ``path`` atomically, as it is: that host already stamped it and refused
        foreign overwrites. Returns its location."""
        target = confine(self.path, path, self._session_id)
        self._make_parent(path, target)
        write_atomic(target.absolute, text.encode("utf-8", errors="replace"))
        return target.absolute

    def write_output(self, folder: str, stem: str, text: str, meta: FrontMatter) -> Path:
        """Write a task's output as ``<folder>/<stem>--t<task>-a<attempt>.md``.

        The name is unique per task and attempt, so a retry never replaces the output of the
        attempt before it. ``stem`` is reduced to ``[a-z0-9-]``; ``meta`` must name the task
        and the attempt.
        """
        if meta.task is None or meta.attempt is None:
            raise BlackboardError(
                f"write_output to {folder!r} in session {self._session_id} needs the task id "
                "and the attempt in its front matter, to name the file"
            )
        parent = confine(self.path, folder, self._session_id, allow_root=True).relative
        name = output_name(stem, meta.task, meta.attempt)
        return self.write(f"{parent}/{name}" if parent else name, text, meta)

    def read(self, path: str) -> BlackboardFile:
        """Read one file: its front matter (None for a hand-written file) and its body."""
        target = confine(self.path, path, self._session_id)
        front_matter, body = split(self._read_whole(path, target))
        return BlackboardFile(path=target.relative, front_matter=front_matter, body=body)

    def locate(self, path: str) -> Path:
        """Where the file at ``path`` lies, checked to be a file inside the session, for a
        caller that reads it in parts (a big file is streamed, not read whole)."""
        target = confine(self.path, path, self._session_id)
        if target.absolute.is_dir():
            raise InvalidBlackboardPath(path, self._session_id, "it is a folder")
        if not target.absolute.is_file():
            raise BlackboardFileNotFound(target.relative, self._session_id)
        return target.absolute

    def read_text(self, path: str) -> str:
        """The file's whole text, front matter included, as ``cat`` shows it."""
        return self._read_whole(path, confine(self.path, path, self._session_id))

    def list(self, folder: str = "") -> builtins.list[str]:
        """The files under ``folder`` (the whole session by default), recursively.

        Paths are posix, relative to the session (ready for ``read``), and sorted; a
        folder that does not exist yet has no files.
        """
        target = confine(self.path, folder, self._session_id, allow_root=True)
        if target.absolute.is_file():
            raise InvalidBlackboardPath(folder, self._session_id, "it is a file, not a folder")
        return list_files(self.path, target.absolute)

    def tree(self) -> str:
        """The session's folders and files drawn as an indented tree."""
        self._require_session()
        return render_tree(self.path, self._session_id)

    def _stamp(self, meta: FrontMatter | None) -> FrontMatter:
        meta = meta if meta is not None else FrontMatter()
        if meta.time is not None:
            return meta
        # Validate rather than copy so that the clock's time is normalized to UTC.
        return FrontMatter.model_validate({**meta.model_dump(), "time": self._clock()})

    def _make_parent(self, path: str, target: ConfinedPath) -> None:
        try:
            target.absolute.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InvalidBlackboardPath(
                path, self._session_id, "a folder on the path is a file"
            ) from None

    def _prepare_write(self, path: str, text: str,
                       meta: FrontMatter | None) -> tuple[ConfinedPath, bytes, int | None]:
        """The checked target, the bytes to write and the writing task; the target's
        folder is made."""
        if path.endswith("/"):
            raise InvalidBlackboardPath(path, self._session_id, "a path ending in '/' is a folder")
        target = confine(self.path, path, self._session_id)
        stamped = self._stamp(meta)
        # Encode first: text that cannot be written fails before any file exists.
        try:
            data = render(stamped, text).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise TextNotEncodable(target.relative, self._session_id, exc) from None
        self._make_parent(path, target)
        return target, data, stamped.task

    def _open_own(self, path: str, target: ConfinedPath, writer_task: int | None,
                  flags: int) -> int:
        """Open the file at ``target`` for appends (with extra ``flags``) once it is
        checked, under its folder's lock as a write's rename is, not to be another task's."""
        with folder_lock(target.absolute.parent):
            self._refuse_foreign_overwrite(path, target, writer_task)
            return os.open(target.absolute, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | flags,
                           FILE_MODE)

    def _refuse_foreign_overwrite(
        self, path: str, target: ConfinedPath, writer_task: int | None
    ) -> None:
        if target.absolute.is_dir():
            raise InvalidBlackboardPath(path, self._session_id, "it is a folder")
        if not target.absolute.exists():
            return
        existing, _ = split(self._read_whole(path, target))
        owner_task = existing.task if existing is not None else None
        if owner_task is not None and owner_task != writer_task:
            raise OverwriteRefused(target.relative, self._session_id, owner_task, writer_task)

    def _read_whole(self, path: str, target: ConfinedPath) -> str:
        try:
            raw = target.absolute.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise BlackboardFileNotFound(target.relative, self._session_id) from None
        except IsADirectoryError:
            raise InvalidBlackboardPath(path, self._session_id, "it is a folder") from None
        # A hand-written file in another encoding still reads, with stand-ins for bad bytes.
        return raw.decode("utf-8", errors="replace")

    def _require_session(self) -> None:
        if not self.exists():
            raise BlackboardFileNotFound("", self._session_id)
