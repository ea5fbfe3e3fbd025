"""Soak: the chaos test's worker-kill storm, longer and larger than CI can afford.

    python scripts/soak.py [--tasks N] [--workers N] [--concurrency N]
                           [--kill-every S] [--duration S] [--seed N]

One session on a scratch workspace, a supervisor keeping `--workers` researcher workers
(and one coordinator) alive, `--concurrency` tasks at once in each. Rounds of `--tasks`
tasks (a legacy skill writing a 4 KiB payload to the blackboard, then a report task that
runs on partial input) are enqueued one after another until `--duration` seconds have
passed, while a random live worker is SIGKILLed every `--kill-every` seconds. Then the
kills stop, the last round finishes, and every check of `tests/chaos` is made on the
whole session: every task done with exactly one completion on the bus, every blackboard
file whole, every report written. Exit status 0 when every check holds, 1 otherwise.
The defaults are the CI test's, run for five minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The chaos helpers live with the tests (tests/support); the repository comes first so
# that `blackboard` and the others are the packages, not the test folders of that name.
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from skills.roles import COORDINATOR, RESEARCHER  # noqa: E402
from support.chaos import (  # noqa: E402
    check_blackboard,
    check_completions,
    install_skills,
    kill_workers,
    plan,
)
from support.swarm_processes import open_swarm  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000, help="tasks per round (2000)")
    parser.add_argument("--workers", type=int, default=8, help="researcher workers (8)")
    parser.add_argument("--concurrency", type=int, default=4, help="tasks per worker (4)")
    parser.add_argument("--kill-every", type=float, default=0.3,
                        help="seconds between two SIGKILLs (0.3)")
    parser.add_argument("--duration", type=float, default=300.0,
                        help="keep enqueuing rounds this long, in seconds (300)")
    parser.add_argument("--seed", type=int, default=7, help="picks the victims (7)")
    args = parser.parse_args(argv)
    if min(args.tasks, args.workers, args.concurrency) < 1 or args.kill_every <= 0:
        parser.error("--tasks, --workers, --concurrency and --kill-every must be positive")
    return args


async def soak(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    started = time.monotonic()
    async with open_swarm(tmp) as swarm:
        install_skills(swarm)
        await swarm.supervise({RESEARCHER: args.workers, COORDINATOR: 1},
                              concurrency=args.concurrency)
        stop = asyncio.Event()
        killer = asyncio.create_task(
            kill_workers(swarm, args.kill_every, random.Random(args.seed), stop))
        rounds = 0
        try:
            while True:
                ids = await swarm.enqueue(*plan(args.tasks, first=rounds * args.tasks))
                rounds += 1
                await swarm.wait_for_tasks([ids[-1]], timeout=max(600.0, args.duration * 2))
                print(f"round {rounds} done after {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
                if time.monotonic() - started >= args.duration:
                    break
        finally:
            stop.set()
            kills = await killer
        elapsed = time.monotonic() - started
        listed = await swarm.store.list_tasks(swarm.session_id)
        await check_completions(swarm, listed)
        check_blackboard(swarm, listed)
        crashes = await swarm.crashes()
        attempts = Counter(t.attempt for t in listed)
    return {
        "rounds": rounds, "tasks": len(listed), "kills": kills, "crashes": len(crashes),
        "tasks_retried": sum(n for a, n in attempts.items() if a > 1),
        "most_attempts": max(attempts), "seconds": elapsed,
        "tasks_per_s": len(listed) / elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The supervisor logs every worker it restarts: thousands of lines in a soak.
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="swarm-soak-") as tmp:
        try:
            figures = asyncio.run(soak(args, Path(tmp)))
        except AssertionError as exc:
            print(f"soak: FAILED: {exc}", file=sys.stderr)
            return 1
    print("soak: every check held: " + ", ".join(
        f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
