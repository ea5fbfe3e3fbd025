"""The scale curves' figures: one run, the median of a configuration's runs, the Markdown
tables and the PNG plots that `scripts/bench_scale.py` prints and draws."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

IO_SECONDS = 0.2


@dataclass(frozen=True)
class Run:
    """One measured session (or, from `Summary.median`, the medians of several)."""

    experiment: str  # "noop", "io" (by concurrency) or "agents" (by worker processes)
    tasks: int
    workers: int
    slots: int
    wall_s: float
    worker_cpu_s: float
    db_bytes: int

    @property
    def key(self) -> tuple[str, int, int, int]:
        return self.experiment, self.tasks, self.workers, self.slots

    @property
    def concurrency(self) -> int:
        return self.workers * self.slots

    @property
    def tasks_per_s(self) -> float:
        return self.tasks / self.wall_s

    @property
    def wall_ms_per_task(self) -> float:
        return self.wall_s / self.tasks * 1000

    @property
    def cpu_ms_per_task(self) -> float:
        return self.worker_cpu_s / self.tasks * 1000

    @property
    def ideal_s(self) -> float:
        """The wall time of `tasks` waits of IO_SECONDS, `concurrency` at a time."""
        return self.tasks * IO_SECONDS / self.concurrency

    @property
    def efficiency(self) -> float:
        return self.ideal_s / self.wall_s

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Run:
        """A run back from `as_dict` (derived figures are recomputed, not read)."""
        return cls(row["experiment"], row["tasks"], row["workers"], row["slots"],
                   row["wall_s"], row["worker_cpu_s"], row["db_bytes"])

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)
        out.update(concurrency=self.concurrency, tasks_per_s=self.tasks_per_s,
                   wall_ms_per_task=self.wall_ms_per_task,
                   cpu_ms_per_task=self.cpu_ms_per_task)
        if self.experiment != "noop":
            out.update(ideal_s=self.ideal_s, efficiency=self.efficiency)
        return out


@dataclass(frozen=True)
class Summary:
    """The runs of one configuration: their medians, and the spread of their wall times."""

    runs: tuple[Run, ...]

    @property
    def median(self) -> Run:
        first = self.runs[0]
        return Run(first.experiment, first.tasks, first.workers, first.slots,
                   wall_s=statistics.median(r.wall_s for r in self.runs),
                   worker_cpu_s=statistics.median(r.worker_cpu_s for r in self.runs),
                   db_bytes=round(statistics.median(r.db_bytes for r in self.runs)))

    @property
    def fastest(self) -> Run:
        return min(self.runs, key=lambda r: r.wall_s)

    @property
    def slowest(self) -> Run:
        return max(self.runs, key=lambda r: r.wall_s)

    def extremes(self, figure: str) -> tuple[float, float]:
        """The lowest and highest of one of Run's figures, over the fastest and slowest run."""
        low, high = sorted(getattr(r, figure) for r in (self.fastest, self.slowest))
        return low, high


def summarise(runs: Sequence[Run]) -> list[Summary]:
    """One summary per configuration, in the order the configurations were first run."""
    grouped: dict[tuple[str, int, int, int], list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.key, []).append(run)
    return [Summary(tuple(group)) for group in grouped.values()]


def headline(summaries: Sequence[Summary]) -> dict[str, float]:
    """The two figures `scripts/bench.py --scale` adds to its table and JSON: the I/O-bound
    efficiency at concurrency 256, and the most worker processes still 80% efficient at
    the agents curve's concurrency (where coordination has not yet taken over)."""
    out: dict[str, float] = {}
    io = [s.median for s in summaries if s.median.experiment == "io"]
    at_256 = [r for r in io if r.concurrency == 256]
    if at_256:
        out["scale_io_efficiency_at_256_percent"] = at_256[0].efficiency * 100
    agents = [s.median for s in summaries if s.median.experiment == "agents"]
    efficient = [r.workers for r in agents if r.efficiency >= 0.8]
    if agents:
        out["scale_most_workers_at_80_percent"] = max(efficient, default=0)
    return out


# --- tables ----------------------------------------------------------------------------


def _spread(summary: Summary, figure: str, fmt: str) -> str:
    """`median (lowest-highest)` of one of Run's figures; the median alone for one run."""
    median = format(getattr(summary.median, figure), fmt)
    if len(summary.runs) == 1:
        return median
    low, high = summary.extremes(figure)
    return f"{median} ({format(low, fmt)}-{format(high, fmt)})"


def tables(summaries: Sequence[Summary]) -> str:
    """Markdown tables of the medians: no-op sessions, then the two I/O-bound curves."""
    noop = [s for s in summaries if s.median.experiment == "noop"]
    out = ["No-op sessions; medians, (lowest-highest) over the runs:", "",
           "| tasks | workers | wall s | tasks/s | wall ms/task | worker CPU ms/task | "
           "database MB |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in noop:
        m = s.median
        out.append(f"| {m.tasks:,} | {m.workers} | {m.wall_s:.2f} | "
                   f"{_spread(s, 'tasks_per_s', ',.0f')} | {m.wall_ms_per_task:.2f} | "
                   f"{m.cpu_ms_per_task:.2f} | {m.db_bytes / 1e6:.2f} |")
    for experiment, title in (
        ("io", f"I/O-bound tasks ({IO_SECONDS:g} s each) by total concurrency:"),
        ("agents", "The same tasks at a fixed concurrency, by worker processes:"),
    ):
        out += ["", title, "",
                "| tasks | workers × slots | concurrency | ideal s | wall s | efficiency | "
                "tasks/s | worker CPU ms/task |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in summaries:
            m = s.median
            if m.experiment != experiment:
                continue
            out.append(f"| {m.tasks:,} | {m.workers} × {m.slots} | {m.concurrency:,} | "
                       f"{m.ideal_s:.2f} | {m.wall_s:.2f} | {_spread(s, 'efficiency', '.0%')} | "
                       f"{m.tasks_per_s:,.0f} | {m.cpu_ms_per_task:.2f} |")
    return "\n".join(out)


# --- plots -------------------------------------------------------------------------------


def plot(summaries: Sequence[Summary], directory: Path) -> list[Path]:
    """scale_noop.png, scale_io.png and scale_agents.png in `directory`: medians, with
    bars from the lowest to the highest run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    noop = [s for s in summaries if s.median.experiment == "noop"]
    if noop:
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        for n in sorted({s.median.tasks for s in noop}):
            rows = [s for s in noop if s.median.tasks == n]
            xs = [s.median.workers for s in rows]
            _with_spread(left, xs, rows, "tasks_per_s", 1, "o-", label=f"{n:,} tasks")
            right.plot(xs, [s.median.cpu_ms_per_task for s in rows], "o-", label=f"{n:,} tasks")
        left.set(xlabel="worker processes", ylabel="tasks/s", title="No-op throughput")
        right.set(xlabel="worker processes", ylabel="worker CPU ms per task",
                  title="Coordination cost per task")
        for ax in (left, right):
            _log_axis(ax, sorted({s.median.workers for s in noop}))
            ax.set_ylim(bottom=0)
            ax.legend()
        written.append(_save(fig, directory / "scale_noop.png"))
    for experiment, x_label, name, title in (
        ("io", "total concurrency (workers × slots)", "scale_io.png",
         f"I/O-bound tasks ({IO_SECONDS:g} s each): efficiency vs the ideal"),
        ("agents", "worker processes (same total concurrency)", "scale_agents.png",
         "How many agents: efficiency by worker processes"),
    ):
        rows = [s for s in summaries if s.median.experiment == experiment]
        if not rows:
            continue
        xs = [s.median.concurrency if experiment == "io" else s.median.workers for s in rows]
        fig, ax = plt.subplots(figsize=(7, 4.6))
        _with_spread(ax, xs, rows, "efficiency", 100, "o-", label="efficiency")
        ax.axhline(80, color="grey", linestyle="--", label="target 80%")
        ax.set(xlabel=x_label, ylabel="% of ideal", ylim=(0, 105), title=title)
        _log_axis(ax, xs)
        cpu = ax.twinx()
        cpu.plot(xs, [s.median.cpu_ms_per_task for s in rows], "s:", color="tab:red",
                 label="worker CPU ms/task")
        cpu.set_ylabel("worker CPU ms per task")
        cpu.set_ylim(bottom=0)
        handles, labels = ax.get_legend_handles_labels()
        more_handles, more_labels = cpu.get_legend_handles_labels()
        # Below the axes: inside, it would hide points of one curve or the other.
        ax.legend(handles + more_handles, labels + more_labels, loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)
        written.append(_save(fig, directory / name))
    return written


def _with_spread(ax: Any, xs: list[int], rows: Sequence[Summary], figure: str, scale: float,
                 style: str, label: str) -> None:
    """The medians of `figure`, with an error bar from the lowest run to the highest."""
    medians = [getattr(s.median, figure) * scale for s in rows]
    ends = [s.extremes(figure) for s in rows]
    below = [m - low * scale for m, (low, _high) in zip(medians, ends, strict=True)]
    above = [high * scale - m for m, (_low, high) in zip(medians, ends, strict=True)]
    ax.errorbar(xs, medians, yerr=[below, above], fmt=style, capsize=3, label=label)


def _log_axis(ax: Any, ticks: list[int]) -> None:
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.grid(alpha=0.3)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
