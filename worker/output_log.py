"""A supervised worker's own output, capped: everything written to its fd 1 and 2 (by the
worker, its skills, their threads and their child processes) goes through a pipe into a
log file that never passes its cap, with one backup beside it.

A file opened by the supervisor as the worker's stdout could only grow: a skill printing
100 MB made a 100 MB log. A pipe read by a thread of the worker itself bounds it exactly,
whatever is printed and however fast: a chunk that would pass the cap rotates the log
first (`PATH` becomes `PATH.1`, replacing the previous backup).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

BYTES_PER_MB = 2**20
# How much the pump reads at once: a pipe's usual buffer on Linux.
READ_SIZE = 65536
# A line longer than this is written without waiting for its end.
LONG_LINE = 65536
# Leaving, how long the pump may take to write what is still in the pipe. The pipe sees
# its end at once unless a process that escaped the worker's group still holds it.
DRAIN_TIMEOUT_S = 2.0


def cap_bytes(max_log_mb: float) -> int:
    return max(1, int(max_log_mb * BYTES_PER_MB))


def backup_of(path: Path) -> Path:
    return path.with_name(path.name + ".1")


def rotate_log_if_full(path: Path, cap: int) -> None:
    """Move a log already at its cap to its backup, so that appending starts afresh."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size >= cap:
            os.replace(path, backup_of(path))


def line_pieces(data: bytes, cap: int) -> Iterator[bytes]:
    """`data` in pieces of at most `cap` bytes, each cut after a newline where one fits."""
    while len(data) > cap:
        cut = data.rfind(b"\n", 0, cap) + 1 or cap
        yield data[:cut]
        data = data[cut:]
    if data:
        yield data


class RotatingLog:
    """An append-only file of at most `cap` bytes with one backup, `PATH.1`.

    A write that would pass the cap moves the file to the backup first, so lines stay
    whole in one file unless a line is longer than the cap.
    """

    def __init__(self, path: Path, cap: int) -> None:
        self.path = path
        self.cap = cap
        # What an earlier worker of the slot wrote stays, unless the log is full.
        rotate_log_if_full(path, cap)
        self._fd = -1
        self._size = 0
        self._open(os.O_APPEND)

    def write(self, data: bytes) -> None:
        for piece in line_pieces(data, self.cap):
            if self._size + len(piece) > self.cap:
                self._rotate()
            self._append(piece)

    def _open(self, mode: int) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | mode, 0o644)
        self._size = os.fstat(self._fd).st_size

    def _append(self, piece: bytes) -> None:
        if self._fd < 0:
            self._open(os.O_APPEND)
        view = memoryview(piece)
        while view:
            written = os.write(self._fd, view)
            self._size += written
            view = view[written:]

    def _rotate(self) -> None:
        self.close()
        # A log removed meanwhile has nothing to keep.
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.path, backup_of(self.path))
        self._open(os.O_TRUNC)

    def close(self) -> None:
        # Marked closed first: a number kept after a failed reopen could name another file.
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


class OutputPump:
    """Owns this process's fd 1 and 2 from `start()` to `stop()`: a daemon thread moves
    what is written to them into a `RotatingLog`."""

    def __init__(self, log: RotatingLog) -> None:
        self._log = log
        self._read_end = -1
        self._thread = threading.Thread(target=self._pump, name="log-pump", daemon=True)

    def start(self) -> None:
        _flush_python_streams()
        self._read_end, write_end = os.pipe()
        # Inherited by every child the worker starts: their prints are caught too.
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        self._thread.start()

    def stop(self) -> None:
        """Flush, close the pipe's write ends, and wait briefly for the rest to be written."""
        _flush_python_streams()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        self._thread.join(DRAIN_TIMEOUT_S)

    def _pump(self) -> None:
        # Nothing here may write to fd 1 or 2: that is the pipe this thread empties.
        pending = b""
        while chunk := os.read(self._read_end, READ_SIZE):
            pending += chunk
            # Whole lines only, so that a rotation never cuts one in two.
            end = pending.rfind(b"\n") + 1
            if len(pending) - end > LONG_LINE:
                end = len(pending)
            self._write(pending[:end])
            pending = pending[end:]
        self._write(pending)
        os.close(self._read_end)
        self._log.close()

    def _write(self, data: bytes) -> None:
        # A full disk or a removed directory: the output is dropped, and the pipe is still
        # emptied, so that no print in the worker blocks for it.
        with contextlib.suppress(Exception):
            self._log.write(data)


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


@contextlib.contextmanager
def output_to_log(path: Path | None, max_log_mb: float) -> Iterator[None]:
    """Inside, fd 1 and 2 write to `path`, capped at `max_log_mb` with one backup; `None`
    leaves them as they are (a worker started by hand writes to its terminal).

    Every way out flushes what was said first: a return, `sys.exit`, and an uncaught
    exception, whose traceback is printed into the log before the pipe is closed (the
    interpreter prints it again, to /dev/null).
    """
    if path is None:
        yield
        return
    pump = OutputPump(RotatingLog(path, cap_bytes(max_log_mb)))
    pump.start()
    try:
        yield
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        raise
    finally:
        pump.stop()
