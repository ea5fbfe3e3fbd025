"""Walking a session directory: the flat list of files and the tree the CLI prints.

Temporary files are skipped, and so are the host's own files at the session's top (the
mark of the copy from the store and its lock: blackboard/copies.py). A symlinked folder
is shown but not entered (it could loop or lead outside the session); a symlinked file
is listed only when it resolves inside.
"""

from __future__ import annotations

import os
from pathlib import Path

from blackboard.layout import is_host_file, is_temp_name
from blackboard.paths import is_inside


def list_files(session_dir: Path, folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted posix paths relative to ``session_dir``."""
    found: list[str] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        for entry in _entries(current):
            location = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                pending.append(location)
            elif _is_listed_file(session_dir, entry):
                found.append(location.relative_to(session_dir).as_posix())
    return sorted(found)


def render_tree(session_dir: Path, title: str) -> str:
    """An indented drawing of the session's folders and files, folders first."""
    lines = [f"{title}/"]
    _render_folder(session_dir, session_dir, "", lines)
    return "\n".join(lines)


def _render_folder(session_dir: Path, folder: Path, indent: str, lines: list[str]) -> None:
    entries = [e for e in _entries(folder) if e.is_dir() or _is_listed_file(session_dir, e)]
    entries.sort(key=lambda e: (not e.is_dir(follow_symlinks=False), e.name))
    for index, entry in enumerate(entries):
        last = index == len(entries) - 1
        branch, continuation = ("└── ", "    ") if last else ("├── ", "│   ")
        if entry.is_symlink():
            lines.append(f"{indent}{branch}{entry.name} -> {os.readlink(entry.path)}")
        elif entry.is_dir():
            lines.append(f"{indent}{branch}{entry.name}/")
            _render_folder(session_dir, Path(entry.path), indent + continuation, lines)
        else:
            lines.append(f"{indent}{branch}{entry.name}")


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    # A folder removed while we walk is simply empty.
    try:
        with os.scandir(folder) as scan:
            return list(scan)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _is_listed_file(session_dir: Path, entry: os.DirEntry[str]) -> bool:
    if is_temp_name(entry.name) or not entry.is_file():
        return False
    if is_host_file(entry.name) and Path(entry.path).parent == session_dir:
        return False
    return not entry.is_symlink() or is_inside(session_dir, Path(entry.path))
