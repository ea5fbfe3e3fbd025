"""The scale-curve benchmark (scripts/bench_scale.py) at a tiny size: every session does
all its work through real worker processes, and the medians, tables and plots hold
together. Figures are not checked against any speed."""

from __future__ import annotations

import json
from pathlib import Path

import bench_scale
import pytest
from bench_scale_figures import IO_SECONDS, Run, headline, plot, summarise, tables

TINY = bench_scale.Plan(
    noop_tasks=(20,), noop_workers=(1, 2), noop_slots=4,
    io_tasks=6, io_levels=((1, 3),), agents_concurrency=2, agents=(2,),
)


def run(experiment: str, wall_s: float, cpu_s: float = 0.1, workers: int = 2,
        slots: int = 4) -> Run:
    return Run(experiment, tasks=100, workers=workers, slots=slots, wall_s=wall_s,
               worker_cpu_s=cpu_s, db_bytes=1000)


def test_a_summary_is_the_median_of_its_runs_in_the_order_first_run() -> None:
    runs = [run("io", 3.0), run("noop", 1.0), run("io", 5.0), run("io", 4.0, cpu_s=0.3)]

    io, noop = summarise(runs)

    assert (io.median.wall_s, io.median.worker_cpu_s) == (4.0, 0.1)
    assert (io.fastest.wall_s, io.slowest.wall_s) == (3.0, 5.0)
    assert io.median.efficiency == pytest.approx(100 * IO_SECONDS / 8 / 4.0)
    assert noop.runs == (run("noop", 1.0),)


def test_tables_quote_the_median_and_the_range_of_the_runs() -> None:
    # 100 tasks × 0.2 s on 8 slots: the ideal is 2.5 s.
    summaries = summarise([run("io", 2.5), run("io", 5.0), run("io", 3.125),
                           run("noop", 0.5, workers=1)])

    text = tables(summaries)

    assert "| 100 | 2 × 4 | 8 | 2.50 | 3.12 | 80% (50%-100%) | 32 | 1.00 |" in text
    assert "| 100 | 1 | 0.50 | 200 | 5.00 | 1.00 | 0.00 |" in text


def test_the_headline_is_the_efficiency_at_256_and_the_most_efficient_workers() -> None:
    # 100 tasks × 0.2 s on 256 slots: the ideal is 0.078125 s.
    runs = [run("io", 0.1, workers=2, slots=128), run("io", 3.0),
            run("agents", 0.1, workers=4, slots=64), run("agents", 0.09, workers=8, slots=32),
            run("agents", 0.2, workers=16, slots=16)]

    figures = headline(summarise(runs))

    assert figures == {"scale_io_efficiency_at_256_percent": pytest.approx(78.125),
                       "scale_most_workers_at_80_percent": 8}
    assert headline(summarise([run("noop", 1.0)])) == {}


@pytest.mark.slow
def test_every_session_runs_all_its_tasks_through_real_workers(tmp_path: Path) -> None:
    runs = bench_scale.measure(TINY, tmp_path)

    assert [(r.experiment, r.tasks, r.workers, r.slots) for r in runs] == [
        ("noop", 20, 1, 4), ("noop", 20, 2, 4), ("io", 6, 1, 3), ("agents", 6, 2, 1)]
    for measured in runs:
        assert measured.wall_s > 0
        assert measured.db_bytes > 0
    for measured in runs[2:]:
        # No schedule beats waiting IO_SECONDS per task, `concurrency` at a time.
        assert measured.efficiency <= 1.0
    assert list(tmp_path.iterdir()) == [], "every session's workspace is removed"


def test_the_plots_are_written_as_png(tmp_path: Path) -> None:
    runs = [run("noop", 1.0, workers=1), run("noop", 0.8), run("io", 3.0), run("io", 4.0),
            run("agents", 3.0, workers=1, slots=8), run("agents", 3.5, workers=2, slots=4)]

    written = plot(summarise(runs), tmp_path / "plots")

    assert sorted(p.name for p in written) == ["scale_agents.png", "scale_io.png",
                                               "scale_noop.png"]
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_command_line_refuses_a_repeat_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench_scale.parse_args(["--repeat", "0"])

    assert exit_info.value.code == 2
    assert "--repeat must be at least 1, not 0" in capsys.readouterr().err


def test_the_json_lists_every_run_with_its_round(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # measure() is replaced so that this test checks main's output, not the workers again.
    rounds = iter([[run("io", 3.0)], [run("io", 5.0)]])
    monkeypatch.setattr(bench_scale, "measure", lambda plan, tmp: next(rounds))
    out = tmp_path / "runs.json"

    assert bench_scale.main(["--quick", "--repeat", "2", "--json", str(out), "--no-plots"]) == 0

    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [(row["round"], row["wall_s"], row["efficiency"]) for row in rows] == [
        (1, 3.0, pytest.approx(2.5 / 3.0)), (2, 5.0, pytest.approx(0.5))]


def test_from_json_redraws_the_tables_and_plots_without_measuring(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "runs.json"
    saved.write_text(json.dumps([{"round": n, **run("io", wall).as_dict()}
                                 for n, wall in ((1, 2.5), (2, 5.0), (3, 3.125))]))

    assert bench_scale.main(["--from-json", str(saved), "--plots", str(tmp_path)]) == 0

    assert "| 100 | 2 × 4 | 8 | 2.50 | 3.12 | 80% (50%-100%) |" in capsys.readouterr().out
    assert (tmp_path / "scale_io.png").exists()


@pytest.mark.parametrize("text", ["not json", "[{\"round\": 1}]", "{}"])
def test_from_json_refuses_a_file_that_holds_no_runs(tmp_path: Path, text: str) -> None:
    saved = tmp_path / "runs.json"
    saved.write_text(text)

    with pytest.raises(SystemExit) as refused:
        bench_scale.main(["--from-json", str(saved), "--no-plots"])

    assert str(refused.value).startswith(f"{saved}: not the runs of bench_scale.py --json")
