"""Find the text-file candidates of a corpus directory, deterministically and within limits.

What is never worth indexing is pruned by name before anything is read: version control,
the swarm workspace, virtual environments, dependency and cache folders, hidden entries
(which also keeps files such as ``.env`` with secrets out of reports), symbolic links
(they may leave the corpus or loop) and anything that is not a regular file (reading a FIFO
would block forever).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SKIPPED_DIRS", "CorpusError", "CorpusFile", "CorpusWalk", "read_text", "read_text_bytes",
    "walk_corpus",
]

logger = logging.getLogger(__name__)

# Hidden directories (".git", ".swarm", ".venv", ...) are skipped as hidden already.
# Virtual environments ("venv", "env", ...) are recognised by their pyvenv.cfg instead of by
# name, so a documentation folder called "env" is still read.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages"})
# Bytes inspected for a NUL before a file is treated as binary, as git and grep do.
BINARY_SNIFF_BYTES = 8192


class CorpusError(ValueError):
    """The corpus cannot be used; the message names the path and the reason."""


@dataclass(frozen=True)
class CorpusFile:
    """A candidate file: its path relative to the root (POSIX), and what stat said."""

    path: str
    absolute: Path
    mtime_ns: int
    size: int


class CorpusWalk:
    """One pass over a corpus root. ``files()`` yields candidates in a stable order.

    After ``files()`` is exhausted, ``checked`` counts the files considered, ``skipped``
    those left out for their size, name encoding or an unreadable directory, and
    ``truncated`` says whether ``max_files`` stopped the walk.
    """

    def __init__(self, root: Path, max_files: int, max_file_bytes: int, exclude: set[Path]) -> None:
        self.root = root
        self.max_files = max_files
        self.max_file_bytes = max_file_bytes
        self._exclude = {p.resolve() for p in exclude}
        self._exclude_names = {p.name for p in exclude}
        self.checked = 0
        self.skipped = 0
        self.truncated = False

    def files(self) -> Iterator[CorpusFile]:
        """Yield every candidate file under the root, sorted by directory then name."""
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=self._unreadable_dir):
            # Pruning and sorting in place steers os.walk and makes the order stable.
            dirnames[:] = sorted(d for d in dirnames if not _skip_dir(dirpath, d))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                if self.checked >= self.max_files:
                    self.truncated = True
                    return
                found = self._candidate(Path(dirpath, name))
                if found is not None:
                    yield found

    def _candidate(self, path: Path) -> CorpusFile | None:
        """Stat one file; None (and counted) when it is not worth reading."""
        try:
            info = path.lstat()
        except OSError:
            self.checked += 1
            self.skipped += 1
            return None
        if not stat.S_ISREG(info.st_mode) or self._is_excluded(path):
            return None  # links, devices, FIFOs and the index itself are not corpus files
        self.checked += 1
        relative = path.relative_to(self.root).as_posix()
        if info.st_size > self.max_file_bytes or not _encodable(relative):
            # A name that is not valid UTF-8 cannot be stored in the index nor cited.
            self.skipped += 1
            return None
        return CorpusFile(relative, path, info.st_mtime_ns, info.st_size)

    def _is_excluded(self, path: Path) -> bool:
        return path.name in self._exclude_names and path.resolve() in self._exclude

    def _unreadable_dir(self, error: OSError) -> None:
        if Path(error.filename or "") == self.root:
            raise CorpusError(
                f"corpus {self.root} is not readable ({error.strerror or error})"
            ) from error
        logger.info("skipping unreadable directory %s: %s", error.filename, error.strerror)
        self.skipped += 1


def walk_corpus(root: Path, max_files: int, max_file_bytes: int, exclude: set[Path]) -> CorpusWalk:
    """Check that ``root`` is a readable directory and return a walk over it.

    Raises ``CorpusError`` naming the root when it is missing, not a directory, or
    cannot be listed.
    """
    if not root.exists():
        raise CorpusError(f"corpus {root} does not exist")
    if not root.is_dir():
        raise CorpusError(f"corpus {root} is not a directory")
    try:
        with os.scandir(root) as entries:
            next(entries, None)
    except OSError as exc:
        raise CorpusError(f"corpus {root} is not readable ({exc.strerror or exc})") from exc
    return CorpusWalk(root, max_files, max_file_bytes, exclude)


def read_text(path: Path, max_bytes: int) -> str | None:
    """Read a file as UTF-8 text; None when it is binary, not UTF-8, or too large.

    Binary means a NUL byte in the first ``BINARY_SNIFF_BYTES``. Raises ``OSError``
    when the file cannot be read.
    """
    data = read_text_bytes(path, max_bytes)
    return None if data is None else data.decode("utf-8").removeprefix("\ufeff")


def read_text_bytes(path: Path, max_bytes: int) -> bytes | None:
    """A file's bytes when ``read_text`` would read it as text, else None; raises
    ``OSError`` when the file cannot be read."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes or b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None  # it grew past the limit since it was listed, or it is binary
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def _skip_dir(parent: str, name: str) -> bool:
    """Hidden, well-known dependency/cache folders, and any virtual environment."""
    if name.startswith(".") or name in SKIPPED_DIRS:
        return True
    # A virtual environment may have any name; pyvenv.cfg is what marks one.
    return os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
