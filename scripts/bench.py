"""swarm's benchmark suite: every figure beside its reference, measured in the same run.

    python scripts/bench.py [--backend sqlite|redis] [--quick] [--json] [--repeat N]
                            [--only TEXT] [--scale]

Each round measures every figure once, in an order that puts a figure next to its
reference; the table shows the median over the rounds, and each ratio is the median of
the ratios taken within one round, so a noisy moment on a shared machine moves a figure
and its reference together. With `--json` the last line is one JSON object, one key per
figure (and reference). A figure that cannot be measured (a peer not installed, a
measurement that failed) is absent, never faked. Keys: docs/interfaces.md, "Benchmarks";
results: docs/benchmarks.md. `--backend redis` measures swarm on Redis beside arq, rq
and huey's RedisHuey instead, on one `redis-server` it starts (scripts/bench_redis.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bench_agents
import bench_queue
import bench_redis
import bench_reference
import bench_session
import bench_workers
from _bench_util import BenchFailed, PeerMissing, add_repeat_option, settle_repeat

logger = logging.getLogger("bench")

Figures = dict[str, float]


@dataclass(frozen=True)
class Sizes:
    claim: int
    claim_single: int
    peer: int
    enqueue: int
    enqueue_batch: int
    dispatch: int
    idle_s: float
    backlog: int
    backlog_take: int
    noop: int
    kills: int
    # Figures measured beside their reference take this many turns each.
    slices: int
    agents: bench_agents.Sizes


FULL = Sizes(claim=20_000, claim_single=3_000, peer=1_000, enqueue=3_000, enqueue_batch=50_000,
             dispatch=200, idle_s=5.0, backlog=100_000, backlog_take=2_000, noop=5_000,
             kills=20, slices=5, agents=bench_agents.FULL)
QUICK = Sizes(claim=2_000, claim_single=300, peer=300, enqueue=300, enqueue_batch=10_000,
              dispatch=50, idle_s=2.0, backlog=10_000, backlog_take=500, noop=500,
              kills=2, slices=2, agents=bench_agents.QUICK)

Measure = Callable[[Path, Sizes], Figures]


def _one(key: str, measure: Callable[[Path, Sizes], float]) -> Measure:
    return lambda tmp, sizes: {key: measure(tmp, sizes)}


Rate = Callable[[Path, int], float]


def interleaved(tmp: Path, parts: Sequence[tuple[str, Rate, int]], slices: int) -> Figures:
    """Each (key, rate, n) measured `slices` times on n/slices tasks, taking turns, and
    reported as tasks over summed time: a noisy moment lands on every part alike."""
    elapsed = dict.fromkeys((key for key, _, _ in parts), 0.0)
    done = dict.fromkeys(elapsed, 0)
    for _ in range(slices):
        for key, rate, n in parts:
            size = max(1, n // slices)
            elapsed[key] += size / rate(tmp, size)
            done[key] += size
    return {key: done[key] / elapsed[key] for key in elapsed}


def _claim_single(tmp: Path, n: int) -> float:
    return bench_queue.claim_complete_per_s(tmp, n, batch=1)


# One round, in order: each figure beside its reference, taking turns where that is cheap.
MEASUREMENTS: list[tuple[str, Measure]] = [
    ("claim+complete beside raw", lambda t, s: interleaved(t, [
        ("raw_claim_complete_per_s", bench_reference.raw_claim_complete_per_s, s.claim),
        ("claim_complete_per_s", bench_queue.claim_complete_per_s, s.claim),
        ("claim_complete_single_per_s", _claim_single, s.claim_single),
    ], s.slices)),
    ("raw claim+complete, 2 processes", _one(
        "raw_claim_complete_2proc_per_s",
        lambda t, s: bench_reference.raw_claim_complete_2proc_per_s(t, s.claim))),
    ("claim+complete, 2 processes",
     lambda t, s: bench_queue.claim_complete_2proc(t, s.claim)),
    ("huey dequeue", _one(
        "huey_claim_complete_per_s",
        lambda t, s: bench_reference.huey_claim_complete_per_s(t, s.peer))),
    ("litequeue pop+done", _one(
        "litequeue_claim_complete_per_s",
        lambda t, s: bench_reference.litequeue_claim_complete_per_s(t, s.peer))),
    ("persist-queue get+ack", _one(
        "persist_queue_claim_complete_per_s",
        lambda t, s: bench_reference.persist_queue_claim_complete_per_s(t, s.peer))),
    ("enqueue beside raw", lambda t, s: interleaved(t, [
        ("raw_enqueue_per_s", bench_reference.raw_enqueue_per_s, s.enqueue),
        ("enqueue_per_s", bench_queue.enqueue_per_s, s.enqueue),
        ("raw_enqueue_batch_per_s", bench_reference.raw_enqueue_batch_per_s, s.enqueue_batch),
        ("enqueue_batch_per_s", bench_queue.enqueue_batch_per_s, s.enqueue_batch),
    ], s.slices)),
    ("dispatch latency", lambda t, s: bench_queue.dispatch(t, s.dispatch)),
    ("idle waiter", _one("idle_wait_cpu_percent",
                         lambda t, s: bench_queue.idle_wait_cpu_percent(t, s.idle_s))),
    ("claim with a backlog", lambda t, s: bench_queue.claim_backlog(
        t, s.backlog, s.backlog_take)),
    ("recovery after SIGKILL", lambda t, s: bench_workers.recovery(t, s.kills)),
    ("huey consumer, 2 process workers", _one(
        # huey's consumer can lose a task to "database is locked"; then its result never
        # comes, and a shorter wait than the default five minutes gives up sooner.
        "huey_e2e_tasks_per_s",
        lambda t, s: bench_reference.huey_e2e_tasks_per_s(t, s.noop, timeout_s=120.0))),
    ("no-op tasks through workers", lambda t, s: bench_workers.noop_throughput(t, s.noop)),
    ("idle worker", lambda t, _s: bench_workers.idle_worker(t)),
    ("the README example through the CLI", lambda t, _s: bench_session.readme_session(t)),
    ("agents: the loop per step, and tasks against a 200 ms model",
     lambda t, s: bench_agents.measure(t, s.agents)),
]


@dataclass(frozen=True)
class Row:
    """A line of the table: a figure, its reference (if any) and its target (if any)."""

    key: str
    ref: str | None = None
    ref_label: str = ""
    unit: str = "/s"
    target: str = ""
    # The target is checked on (median figure, median ratio to the reference).
    met: Callable[[float, float | None], bool] | None = None


def _at_least(value: float) -> Callable[[float, float | None], bool]:
    return lambda figure, _ratio: figure >= value


def _at_most(value: float) -> Callable[[float, float | None], bool]:
    return lambda figure, _ratio: figure <= value


def _ratio_at_least(value: float) -> Callable[[float, float | None], bool]:
    return lambda _figure, ratio: ratio is not None and ratio >= value


ROWS: list[Row] = [
    Row("raw_claim_complete_per_s"),
    Row("claim_complete_per_s", "raw_claim_complete_per_s", "raw",
        target=">= 60% of raw", met=_ratio_at_least(0.6)),
    Row("claim_complete_single_per_s", "raw_claim_complete_per_s", "raw"),
    Row("raw_claim_complete_2proc_per_s"),
    Row("claim_complete_2proc_per_s", "claim_complete_per_s", "1 process",
        target=">= 90% of 1 process", met=_ratio_at_least(0.9)),
    Row("claim_complete_2proc_min_share", unit="", target=">= 0.4 (0.5 is fair)",
        met=_at_least(0.4)),
    Row("huey_claim_complete_per_s", "claim_complete_per_s", "swarm"),
    Row("litequeue_claim_complete_per_s", "claim_complete_per_s", "swarm"),
    Row("persist_queue_claim_complete_per_s", "claim_complete_per_s", "swarm"),
    Row("raw_enqueue_per_s"),
    Row("enqueue_per_s", "raw_enqueue_per_s", "raw"),
    Row("raw_enqueue_batch_per_s"),
    Row("enqueue_batch_per_s", "raw_enqueue_batch_per_s", "raw"),
    Row("dispatch_p50_ms", unit=" ms", target="<= 3 ms", met=_at_most(3.0)),
    Row("dispatch_p99_ms", unit=" ms", target="<= 25 ms", met=_at_most(25.0)),
    Row("dispatch_waiter_cpu_percent", unit=" %"),
    Row("idle_wait_cpu_percent", unit=" %", target="< 2 %", met=lambda f, _r: f < 2.0),
    Row("claim_complete_short_queue_per_s"),
    Row("claim_complete_long_queue_per_s", "claim_complete_short_queue_per_s", "short"),
    Row("claim_backlog_ratio", unit="", target=">= 0.8", met=_at_least(0.8)),
    Row("recovery_p50_ms", unit=" ms"),
    Row("recovery_p99_ms", unit=" ms", target="<= 1000 ms", met=_at_most(1000.0)),
    Row("huey_e2e_tasks_per_s"),
    Row("noop_tasks_per_s_1w", "huey_e2e_tasks_per_s", "huey"),
    Row("noop_tasks_per_s", "huey_e2e_tasks_per_s", "huey 2 workers",
        target=">= 2 x huey", met=_ratio_at_least(2.0)),
    Row("noop_tasks_per_s_4w", "huey_e2e_tasks_per_s", "huey"),
    Row("noop_plain_calls_per_s"),
    Row("overhead_per_task_ms", unit=" ms", target="<= 2 ms", met=_at_most(2.0)),
    Row("idle_worker_rss_mb", unit=" MB", target="<= 40 MB", met=_at_most(40.0)),
    Row("idle_worker_cpu_percent", unit=" %"),
    Row("cli_import_ms", unit=" ms"),
    Row("first_claim_ms", unit=" ms", target="<= 1500 ms", met=_at_most(1500.0)),
    Row("readme_example_s", unit=" s"),
    Row("agent_step_overhead_ms", unit=" ms", target="<= 5 ms", met=_at_most(5.0)),
    Row("agent_step_overhead_p90_ms", unit=" ms"),
    Row("agent_step_untraced_ms", unit=" ms"),
    Row("agents_ideal_s", unit=" s"),
    Row("agents_wall_s", unit=" s"),
    Row("agents_efficiency_percent", unit=" %", target=">= 80 %", met=_at_least(80.0)),
    # With --scale (scripts/bench_scale.py has the curves these come from).
    Row("scale_io_efficiency_at_256_percent", unit=" %", target=">= 80 %", met=_at_least(80.0)),
    Row("scale_most_workers_at_80_percent", unit=""),
]


REDIS_ROWS: list[Row] = [
    *(Row(f"{peer}_e2e_tasks_per_s") for peer in bench_redis.PEERS),
    Row("fastest_peer_e2e_tasks_per_s"),
    Row("redis_noop_tasks_per_s", "fastest_peer_e2e_tasks_per_s", "fastest peer",
        target=">= fastest peer", met=_ratio_at_least(1.0)),
    *(Row(f"{who}_{what}_on_kill", unit="", target="0" if who == "swarm" else "",
          met=(lambda f, _r: f == 0) if who == "swarm" else None)
      for who in (*bench_redis.PEERS, "swarm") for what in ("lost", "twice")),
    Row("redis_claim_complete_per_s"),
    Row("redis_dispatch_p50_ms", unit=" ms", target="<= 3 ms", met=_at_most(3.0)),
    Row("redis_dispatch_p99_ms", unit=" ms", target="<= 25 ms", met=_at_most(25.0)),
    Row("redis_dispatch_waiter_cpu_percent", unit=" %"),
    Row("redis_recovery_p50_ms", unit=" ms"),
    Row("redis_recovery_p99_ms", unit=" ms", target="<= 1000 ms", met=_at_most(1000.0)),
]

def run_rounds(
    sizes: Sizes, repeat: int, tmp: Path, only: str = "",
    measurements: Sequence[tuple[str, Measure]] = MEASUREMENTS,
    derive: Callable[[Figures], None] = lambda _figures: None,
) -> list[Figures]:
    """Every measurement once per round; a failed one is logged and left out. `derive`
    adds a round's figures made of others."""
    rounds: list[Figures] = []
    chosen = [(label, m) for label, m in measurements if only.lower() in label.lower()]
    for number in range(1, repeat + 1):
        figures: Figures = {}
        for label, measure in chosen:
            started = time.monotonic()
            try:
                figures.update(measure(tmp, sizes))
            except PeerMissing as exc:
                logger.warning("round %d: %s: absent (%s)", number, label, exc)
                continue
            except BenchFailed as exc:
                logger.error("round %d: %s failed: %s", number, label, exc)
                continue
            except Exception:
                logger.exception("round %d: %s failed", number, label)
                continue
            logger.info("round %d: %s (%.1f s)", number, label, time.monotonic() - started)
        derive(figures)
        rounds.append(figures)
    return rounds


def summarise(rounds: list[Figures], rows: Sequence[Row] = ROWS) -> tuple[Figures, Figures]:
    """Median of each figure over the rounds; median of each row's within-round ratio."""
    keys = {key for figures in rounds for key in figures}
    medians = {key: statistics.median(f[key] for f in rounds if key in f) for key in keys}
    ratios: Figures = {}
    for row in rows:
        if row.ref is None:
            continue
        ref = row.ref
        within = [f[row.key] / f[ref] for f in rounds if row.key in f and f.get(ref)]
        if within:
            ratios[row.key] = statistics.median(within)
    return medians, ratios


def _number(value: float, unit: str) -> str:
    if unit in ("/s", ""):
        return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def table(medians: Figures, ratios: Figures, rows: Sequence[Row] = ROWS) -> str:
    """The figures, each beside its reference and its target."""
    lines = [f"{'figure':36} {'median':>12} | {'reference (same run)':34} | target"]
    for row in rows:
        if row.key not in medians:
            continue
        value = f"{_number(medians[row.key], row.unit)}{row.unit}"
        ref = ""
        if row.ref and row.ref in medians and row.key in ratios:
            ref_unit = "/s" if row.unit == "/s" else row.unit
            ref = (f"{row.ref_label} {_number(medians[row.ref], ref_unit)}{ref_unit} "
                   f"({ratios[row.key]:.0%})")
        target = ""
        if row.met is not None:
            met = row.met(medians[row.key], ratios.get(row.key))
            target = f"{row.target}: {'met' if met else 'NOT met'}"
        lines.append(f"{row.key:36} {value:>12} | {ref:34} | {target}")
    return "\n".join(lines)


def as_json(medians: Figures) -> str:
    return json.dumps({key: float(f"{medians[key]:.4g}") for key in sorted(medians)})


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "redis"), default="sqlite",
                        help="redis: swarm on Redis beside arq, rq and huey (RedisHuey), "
                        "on a redis-server the benchmark starts")
    parser.add_argument("--quick", action="store_true",
                        help="one round at small sizes: a check, not a measurement")
    parser.add_argument("--json", action="store_true",
                        help="end with one line of JSON, one key per figure")
    parser.add_argument("--only", default="",
                        help="run only the measurements whose label contains this text")
    add_repeat_option(parser)
    parser.add_argument("--scale", action="store_true",
                        help="then the scale curves too (scripts/bench_scale.py: tables, "
                        "and PNG plots in docs/)")
    args = parser.parse_args(argv)
    settle_repeat(parser, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Progress on stderr. Errors only from the code measured: the supervisor would log
    # every worker the recovery figure kills, and the peers chat at INFO.
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(message)s", stream=sys.stderr)
    logger.setLevel(logging.INFO)
    load_before = os.getloadavg()[0]
    rows = REDIS_ROWS if args.backend == "redis" else ROWS
    with tempfile.TemporaryDirectory(prefix="swarm-bench-") as tmp:
        rounds = (_redis_rounds(args, Path(tmp)) if args.backend == "redis" else
                  run_rounds(QUICK if args.quick else FULL, args.repeat, Path(tmp), args.only))
    medians, ratios = summarise(rounds, rows)
    if args.scale and args.backend == "sqlite":
        # Before the table: with --json, the suite's JSON object stays the last line.
        import bench_scale
        from bench_scale_figures import headline

        # A quick run is a check: it leaves the published plots alone.
        scale_args = ["--repeat", str(args.repeat)]
        summaries = bench_scale.report(
            [*scale_args, "--quick", "--no-plots"] if args.quick else scale_args)
        medians.update(headline(summaries))
    print(f"{len(rounds)} round(s){' at quick sizes' if args.quick else ''}; medians; "
          "ratios are medians of within-round ratios; load average (1 min) "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")
    print(table(medians, ratios, rows))
    if args.json:
        print(as_json(medians))
    return 0 if medians else 1


def _redis_rounds(args: argparse.Namespace, tmp: Path) -> list[Figures]:
    sizes = bench_redis.QUICK if args.quick else bench_redis.FULL
    with bench_redis.redis_server() as url:
        measures: list[tuple[str, Measure]] = [
            (label, lambda t, _s, m=m: m(t)) for label, m in bench_redis.measurements(url, sizes)]
        return run_rounds(FULL, args.repeat, tmp, args.only, measures, bench_redis.derive)


if __name__ == "__main__":
    sys.exit(main())
