"""Running one external program: in its own process group, confined by bubblewrap if
asked, killed whole on timeout or cancellation, its output kept up to a cap."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from skills.commands.settings import BWRAP, CommandSettings

__all__ = ["Finished", "run_program", "sandboxed"]


@dataclass(frozen=True)
class Finished:
    """How the program ended: exit status (None when killed on timeout) and its output."""

    status: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False


def sandboxed(argv: list[str], workdir: Path, scratch: Path,
              settings: CommandSettings) -> list[str]:
    """`argv` inside bubblewrap: the whole file system read-only but `workdir` and the
    task's `scratch` directory (its TMPDIR), no network unless `network`. /tmp stays
    visible, read-only: the program or its interpreter may live there."""
    if settings.sandbox == "none":
        return argv
    confined = [BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                "--bind", str(scratch), str(scratch), "--setenv", "TMPDIR", str(scratch),
                "--bind", str(workdir), str(workdir),
                "--unshare-all", "--die-with-parent", "--new-session", "--chdir", str(workdir)]
    if settings.network:
        confined.append("--share-net")
    return [*confined, "--", *argv]


async def run_program(argv: list[str], workdir: Path, settings: CommandSettings,
                      env: dict[str, str]) -> Finished:
    """Run `argv` in `workdir` to its end or its timeout."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=workdir, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True)
    reading = asyncio.gather(_tail(process.stdout, settings.max_output_bytes),
                             _tail(process.stderr, settings.max_output_bytes))
    timed_out = False
    try:
        async with asyncio.timeout(settings.timeout_s):
            await process.wait()
    except TimeoutError:
        timed_out = True
    finally:
        # On timeout or cancellation the whole group goes: a CLI's own children too.
        if process.returncode is None:
            _kill_group(process.pid)
            await process.wait()
    stdout, stderr = await reading
    return Finished(None if timed_out else process.returncode, stdout, stderr,
                    time.monotonic() - started, timed_out)


async def _tail(stream: asyncio.StreamReader | None, cap: int) -> str:
    """The stream's last `cap` bytes, marked when more was cut."""
    if stream is None:
        return ""
    kept = bytearray()
    cut = False
    while chunk := await stream.read(65536):
        kept += chunk
        if len(kept) > cap:
            del kept[:len(kept) - cap]
            cut = True
    text = kept.decode("utf-8", "replace")
    return f"[… earlier output cut; the last {cap} bytes follow]\n{text}" if cut else text


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
