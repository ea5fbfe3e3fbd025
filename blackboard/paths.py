"""Confinement: every path a caller gives is resolved inside the session directory.

A path is refused before any file is touched when it is empty, holds a NUL byte, a
control character (a newline) or a backslash, is absolute, has a '..' component, names a
temporary file or one of the host's own files (the mark of the copy from the store),
holds text UTF-8 cannot encode, is too long for the file system, or reaches through a
symlink (a file or any folder on the way) to somewhere outside the session.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from blackboard.errors import InvalidBlackboardPath, PathOutsideSession
from blackboard.layout import is_host_file, is_temp_name, temp_name

# A name is written first as its temporary file, `.<name>.<12 hex digits>.swarm-tmp`, so
# it must leave room for that within the file system's limits (Linux: 255 and 4096 bytes).
TEMP_OVERHEAD_BYTES = len(temp_name("", "0" * 12))
NAME_MAX_BYTES = 255 - TEMP_OVERHEAD_BYTES
PATH_MAX_BYTES = 4096
# C0 controls, DEL and C1 (NUL has its own message above).
_CONTROL = re.compile(r"[\x01-\x1f\x7f-\x9f]")


class ConfinedPath(NamedTuple):
    """A path checked to lie inside a session: its relative posix form and its location."""

    relative: str
    absolute: Path


def confine(
    session_dir: Path, path: str, session_id: str, *, allow_root: bool = False
) -> ConfinedPath:
    """Resolve ``path`` (relative to the session) inside ``session_dir`` or raise.

    ``allow_root`` lets an empty path or '.' name the session directory itself, which
    listing wants and writing does not. Raises ``PathOutsideSession`` for an escape and
    ``InvalidBlackboardPath`` for a path that is malformed.
    """
    relative = _normalize(path, session_id, allow_root=allow_root)
    if is_host_file(relative):
        raise InvalidBlackboardPath(path, session_id, "the name is kept for the host's own use")
    absolute = session_dir / relative if relative else session_dir
    if len(str(absolute).encode("utf-8")) + TEMP_OVERHEAD_BYTES >= PATH_MAX_BYTES:
        raise InvalidBlackboardPath(path, session_id, "the path is too long for the file system")
    if not _stays_inside(session_dir, absolute):
        raise PathOutsideSession(path, session_id, "a symlink on the path leads outside it")
    return ConfinedPath(relative, absolute)


def is_inside(session_dir: Path, location: Path) -> bool:
    """Whether ``location``, with every symlink followed, lies inside ``session_dir``."""
    return _stays_inside(session_dir, location)


def _normalize(path: str, session_id: str, *, allow_root: bool) -> str:
    if not isinstance(path, str):
        raise InvalidBlackboardPath(repr(path), session_id, "a path must be a str")
    if not path.strip():
        if allow_root and not path:
            return ""
        raise InvalidBlackboardPath(path, session_id, "the path is empty")
    if "\x00" in path:
        raise InvalidBlackboardPath(path, session_id, "a NUL byte is not allowed")
    control = _CONTROL.search(path)
    if control:
        # A newline in a name would split the line that cites it (a heading, a listing).
        raise InvalidBlackboardPath(
            path, session_id, f"a control character ({control.group()!r}) is not allowed")
    if "\\" in path:
        # A backslash is a separator on Windows and a plain character on POSIX; refusing it
        # keeps one meaning everywhere.
        raise InvalidBlackboardPath(path, session_id, "a backslash is not allowed; use '/'")
    pure = PurePosixPath(path)
    if pure.is_absolute():
        raise PathOutsideSession(path, session_id, "an absolute path is not allowed")
    if ".." in pure.parts:
        raise PathOutsideSession(path, session_id, "'..' is not allowed")
    relative = pure.as_posix()
    if relative == ".":
        if allow_root:
            return ""
        raise InvalidBlackboardPath(path, session_id, "it names the session itself")
    for part in pure.parts:
        _check_name(part, path, session_id)
    return relative


def _check_name(part: str, path: str, session_id: str) -> None:
    if is_temp_name(part):
        raise InvalidBlackboardPath(path, session_id, "it names a temporary file")
    try:
        size = len(part.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidBlackboardPath(
            path, session_id, "it holds a character UTF-8 cannot encode") from None
    if size > NAME_MAX_BYTES:
        raise InvalidBlackboardPath(
            path, session_id, f"a name is longer than {NAME_MAX_BYTES} bytes")


def _stays_inside(session_dir: Path, location: Path) -> bool:
    # resolve() follows every symlink that exists, dangling ones included, so a link
    # anywhere on the way (a folder or the file itself) is judged by where it really goes.
    try:
        return location.resolve().is_relative_to(session_dir.resolve())
    except (OSError, RuntimeError):
        # A symlink loop: it leads nowhere we could confine.
        return False
