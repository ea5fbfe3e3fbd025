"""Scale curves: how swarm's throughput and efficiency move with tasks, workers and agents.

    python scripts/bench_scale.py [--quick] [--repeat N] [--json FILE] [--plots DIR]
    python scripts/bench.py --scale          (the same, after the main suite)

Three experiments, each session on a fresh workspace with real `python -m worker`
processes that are registered and idle before the whole batch is enqueued at once:

- no-op sessions: 100, 1,000 and 10,000 tasks of the built-in `noop` skill on 1, 2, 4 and
  8 workers (16 slots each): wall time, tasks/s, wall time per task, the workers' CPU per
  task, and the database's size afterwards (swarm.db plus its WAL);
- I/O-bound work like model calls: 2,000 tasks that each `await asyncio.sleep(0.2)` (a
  swarm-aware skill) at total concurrency 1 to 256 (workers × slots per worker), against
  the ideal `tasks × 0.2 s / concurrency`; then 512 and 1,024, with eight rounds' worth
  of tasks (4,096 and 8,192), to find where the slots stop paying;
- agents: the same I/O-bound tasks at a fixed total concurrency of 256, spread over 1 to
  64 worker processes, to find where adding agents stops paying.

A session's time is from just before the enqueue to the last task's `finished_at` (wall
clock, stamped by the workers). Each round runs every session once; the tables and plots
show each configuration's median over the rounds, with the lowest and highest run. Tables
go to stdout as Markdown, every run to `--json`, and PNG plots (matplotlib, Agg) to
`--plots` (default docs/). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _bench_util import (
    BenchFailed,
    Worker,
    add_repeat_option,
    cpu_ticks,
    poll_workers,
    settle_repeat,
    workdir,
    worker_processes,
)
from bench_scale_figures import IO_SECONDS, Run, Summary, plot, summarise, tables

from taskqueue import NewTask, SqliteStore, TaskStatus

ROLE = "r"
TIMEOUT_S = 1800.0
WAVES = 8
REPO = Path(__file__).resolve().parents[1]

IO_SKILL = '''\
"""Waits like a model call does: the event loop is free while it waits."""
import asyncio

from skills.contracts import SkillResult


class IoWait:
    name = "io_wait"

    async def execute(self, ctx):
        await asyncio.sleep(float(ctx.input["seconds"]))
        return SkillResult()
'''


@dataclass(frozen=True)
class Plan:
    noop_tasks: tuple[int, ...]
    noop_workers: tuple[int, ...]
    noop_slots: int
    io_tasks: int
    # (worker processes, slots per worker): total concurrency is the product.
    io_levels: tuple[tuple[int, int], ...]
    agents_concurrency: int
    agents: tuple[int, ...]


FULL = Plan(
    noop_tasks=(100, 1_000, 10_000), noop_workers=(1, 2, 4, 8), noop_slots=16,
    io_tasks=2_000,
    # Two worker processes, one per core of the reference machine, from concurrency 4 on:
    # this curve isolates the slots; the agents curve below isolates the processes.
    io_levels=((1, 1), (2, 2), (2, 8), (2, 32), (2, 64), (2, 128), (2, 256), (2, 512)),
    agents_concurrency=256, agents=(1, 2, 4, 8, 16, 32, 64),
)
QUICK = Plan(
    noop_tasks=(100, 1_000), noop_workers=(1, 2, 4), noop_slots=16,
    io_tasks=200, io_levels=((2, 2), (2, 32), (2, 128)),
    agents_concurrency=64, agents=(1, 4, 16),
)


# --- one session -----------------------------------------------------------------------


# Coarse polling, not to load the database it measures; the time comes from finished_at.
POLL_S = 0.1


async def _all_ready(store: SqliteStore, count: int) -> bool:
    """Every worker registered and beating since: each is idle in its claim loop."""
    return sum(w.heartbeat_at > w.started_at for w in await store.list_workers()) >= count


async def _all_done(store: SqliteStore, session_id: str, n: int) -> bool:
    counts = await store.counts(session_id)
    if any(c.status in (TaskStatus.FAILED, TaskStatus.DEAD) for c in counts):
        raise BenchFailed(f"tasks failed: {counts}")
    return sum(c.count for c in counts if c.status is TaskStatus.DONE) >= n


async def _last_finished(store: SqliteStore, session_id: str) -> float:
    return max(t.finished_at or 0.0 for t in await store.list_tasks(session_id))


def _cpu_s(procs: Sequence[Worker]) -> float:
    return sum(cpu_ticks(proc.pid) for proc, _ in procs) / os.sysconf("SC_CLK_TCK")


def _db_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.glob("swarm.db*") if p.is_file())


async def _session(home: Path, experiment: str, tasks: list[NewTask], count: int, slots: int,
                   skills_dir: Path | None) -> Run:
    deadline = time.monotonic() + TIMEOUT_S
    store = await SqliteStore.open(home / "swarm.db", sender="bench")
    try:
        session = await store.create_session(f"benchmark: {experiment}", {})
        args = ["--concurrency", str(slots), "--session", session.id]
        if skills_dir is not None:
            args += ["--skills-dir", str(skills_dir)]
        # Otherwise the default settings: 1 s heartbeats, 10 s leases.
        with worker_processes(home, count, args, role=ROLE) as procs:
            await poll_workers(lambda: _all_ready(store, count), procs, deadline,
                               f"{count} workers to be ready", every_s=POLL_S)
            cpu_before = _cpu_s(procs)
            started = time.time()
            await store.enqueue_plan(session.id, tasks)
            await poll_workers(lambda: _all_done(store, session.id, len(tasks)), procs,
                               deadline, f"{len(tasks)} tasks done", every_s=POLL_S)
            cpu = _cpu_s(procs) - cpu_before
            wall = await _last_finished(store, session.id) - started
    finally:
        await store.close()
    return Run(experiment, len(tasks), count, slots, wall, cpu, _db_bytes(home))


def noop_session(tmp: Path, n: int, count: int, slots: int) -> Run:
    with workdir(tmp, f"noop-{n}-{count}w") as home:
        tasks = [NewTask(role=ROLE, skill="noop") for _ in range(n)]
        return asyncio.run(_session(home, "noop", tasks, count, slots, None))


def io_session(tmp: Path, experiment: str, n: int, count: int, slots: int) -> Run:
    with workdir(tmp, f"io-{count}x{slots}") as home:
        skills_dir = home / "skills"
        skills_dir.mkdir()
        (skills_dir / "io_wait.py").write_text(IO_SKILL, encoding="utf-8")
        tasks = [NewTask(role=ROLE, skill="io_wait", input={"seconds": IO_SECONDS})
                 for _ in range(n)]
        return asyncio.run(_session(home, experiment, tasks, count, slots, skills_dir))


# --- the experiments ---------------------------------------------------------------------


def _log(run: Run) -> None:
    extra = f", efficiency {run.efficiency:.0%}" if run.experiment != "noop" else ""
    print(f"  {run.experiment}: {run.tasks} tasks, {run.workers}x{run.slots}: "
          f"{run.wall_s:.2f} s, {run.tasks_per_s:,.0f}/s{extra}", file=sys.stderr, flush=True)


def measure(plan: Plan, tmp: Path) -> list[Run]:
    runs: list[Run] = []
    for n in plan.noop_tasks:
        for count in plan.noop_workers:
            runs.append(noop_session(tmp, n, count, plan.noop_slots))
            _log(runs[-1])
    for count, slots in plan.io_levels:
        # Past 256, 2,000 tasks are under eight rounds of the slots: the ramp up and the
        # tail would be most of the run, so such a level gets eight rounds' worth.
        concurrency = count * slots
        tasks = plan.io_tasks if concurrency <= 256 else WAVES * concurrency
        runs.append(io_session(tmp, "io", tasks, count, slots))
        _log(runs[-1])
    for count in plan.agents:
        slots = max(1, plan.agents_concurrency // count)
        runs.append(io_session(tmp, "agents", plan.io_tasks, count, slots))
        _log(runs[-1])
    return runs


# --- command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes: a check that the curves run, not a measurement")
    add_repeat_option(parser)
    parser.add_argument("--json", type=Path, default=None, help="write every run here")
    parser.add_argument("--plots", type=Path, default=REPO / "docs",
                        help="where the PNG plots go (default: docs/)")
    parser.add_argument("--no-plots", action="store_true", help="skip the plots")
    parser.add_argument("--from-json", type=Path, default=None, metavar="FILE",
                        help="measure nothing: print the tables and draw the plots of the "
                        "runs a --json FILE holds")
    args = parser.parse_args(argv)
    settle_repeat(parser, args)
    return args


def report(argv: list[str] | None = None) -> list[Summary]:
    """Measure the rounds, print the tables, write the JSON and the plots; the summaries."""
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.from_json is not None:
        rounds = _read_rounds(args.from_json)
        print(f"scale curves of {args.from_json}, {len(rounds)} round(s)\n")
    else:
        load_before = os.getloadavg()[0]
        rounds = []
        with tempfile.TemporaryDirectory(prefix="swarm-scale-") as tmp:
            for number in range(1, args.repeat + 1):
                print(f"round {number} of {args.repeat}", file=sys.stderr, flush=True)
                rounds.append(measure(plan, Path(tmp)))
        print(f"scale curves{' at quick sizes' if args.quick else ''}, {args.repeat} "
              f"round(s), on {os.cpu_count()} CPUs; load average (1 min) "
              f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    summaries = summarise([run for runs in rounds for run in runs])
    print(tables(summaries))
    if args.json is not None:
        rows = [{"round": number, **run.as_dict()}
                for number, runs in enumerate(rounds, 1) for run in runs]
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    if not args.no_plots:
        for path in plot(summaries, args.plots):
            print(f"plot: {path}", file=sys.stderr)
    return summaries


def _read_rounds(path: Path) -> list[list[Run]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list) or not rows:
            raise ValueError("no list of runs")
        rounds: dict[int, list[Run]] = {}
        for row in rows:
            rounds.setdefault(row["round"], []).append(Run.from_dict(row))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise SystemExit(f"{path}: not the runs of bench_scale.py --json ({exc!r})") from exc
    return [rounds[number] for number in sorted(rounds)]


def main(argv: list[str] | None = None) -> int:
    report(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
