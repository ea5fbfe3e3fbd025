"""Helpers shared by the benchmark scripts: errors, scratch directories, child processes."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any


class PeerMissing(RuntimeError):
    """A peer queue library is not importable, so its figure cannot be measured."""

    def __init__(self, name: str) -> None:
        super().__init__(f"peer not installed: {name}")
        self.name = name


class BenchFailed(RuntimeError):
    """A measurement did not do the work it claims to measure, or ran out of time."""


def import_peer(module: str, dist: str) -> Any:
    """Import a peer's module, or raise `PeerMissing(dist)` if it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise PeerMissing(dist) from exc


@contextmanager
def workdir(tmp: Path, label: str) -> Iterator[Path]:
    """A fresh directory under `tmp`, removed with everything in it afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=tmp))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def has_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it, so its group id stays ours."""
    flags = os.WEXITED | os.WNOWAIT | os.WNOHANG
    return os.waitid(os.P_PID, proc.pid, flags) is not None


def stop_group(
    proc: subprocess.Popen[bytes], stop_signal: int = signal.SIGINT, grace_s: float = 10.0
) -> None:
    """Ask a session-leader child to stop, then kill whatever is left of its group and reap.

    `proc` must have been started with `start_new_session=True`.
    """
    if not has_exited(proc):
        os.kill(proc.pid, stop_signal)
        deadline = time.monotonic() + grace_s
        while not has_exited(proc) and time.monotonic() < deadline:
            time.sleep(0.01)
    with suppress(ProcessLookupError):
        # Its children may outlive it; the unreaped leader keeps the group id ours meanwhile.
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def log_tail(log: Path, chars: int = 2000) -> str:
    """The end of a child's log, for error messages."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def wait_until(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, deadline: float
) -> None:
    """Poll `ready` every millisecond; fail if `proc` exits or `deadline` (monotonic) passes."""
    while not ready():
        if has_exited(proc):
            raise BenchFailed(f"{proc.args!r} exited early: {log_tail(log)}")
        if time.monotonic() > deadline:
            raise BenchFailed(f"timed out waiting on {proc.args!r}: {log_tail(log)}")
        time.sleep(0.001)


Worker = tuple[subprocess.Popen[bytes], Path]


@contextmanager
def worker_processes(
    home: Path, count: int, args: Sequence[str] = (), *, role: str = "r"
) -> Iterator[list[Worker]]:
    """`count` × `python -m worker --role ROLE --home HOME *args`, each logging to
    HOME/worker-N.log; on exit SIGTERM, then SIGKILL what is left, and reap."""
    started: list[Worker] = []
    with ExitStack() as stack:
        for i in range(count):
            log = home / f"worker-{i}.log"
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "worker", "--role", role, "--home", str(home), *args],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            stack.callback(stop_group, proc, signal.SIGTERM, 15.0)
            started.append((proc, log))
        yield started


def check_alive(procs: Sequence[Worker]) -> None:
    """Fail with the log's tail if any worker has exited."""
    for proc, log in procs:
        # Not poll(): the leader stays unreaped until stop_group, so its group id stays ours.
        if has_exited(proc):
            raise BenchFailed(f"worker {proc.pid} exited early: {log_tail(log)}")


async def poll_workers(
    check: Callable[[], Awaitable[bool]], procs: Sequence[Worker], deadline: float, what: str,
    every_s: float = 0.005,
) -> None:
    """Until `check()` holds; fail if a worker exits early or `deadline` passes."""
    while not await check():
        check_alive(procs)
        if time.monotonic() > deadline:
            raise BenchFailed(f"timed out waiting for {what}")
        await asyncio.sleep(every_s)


def cpu_ticks(pid: int) -> int:
    """utime + stime of `pid`, in clock ticks, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def add_repeat_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds; each figure is the median (default 3, --quick 1)")


def settle_repeat(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--repeat defaults to 1 round with --quick, else 3; it must be at least 1."""
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, not {args.repeat}")
