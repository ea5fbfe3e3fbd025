"""The README's example request through every built-in skill, in dependency order:
plan → research ×3 → analyze and design → critique → synthesize."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

CITATION = re.compile(r"\[([^\[\]\n]+):(\d+)(?:-(\d+))?\]")


async def run_readme_example(
    make_harness: Any, home: Path
) -> tuple[list[Any], dict[str, str], Path]:
    """Run the whole session under `home`; the tasks run, every file's body, the corpus."""
    harness = await make_harness(home)
    try:
        await harness.enqueue("planner", harness.plan_input(), title="Plan the work")
        ran = await harness.run_session()
        bodies = {path: harness.board.read(path).body for path in harness.board.list()}
        return ran, bodies, harness.corpus
    finally:
        await harness.store.close()


async def test_the_readme_example_runs_every_stage_in_dependency_order(
    make_harness: Any, tmp_path: Path,
) -> None:
    ran, bodies, _ = await run_readme_example(make_harness, tmp_path)
    assert [t.role for t in ran] == ["planner", *["researcher"] * 3,
                                     "analyst", "architect", "critic", "coordinator"]
    assert sorted(bodies) == [
        # The sample corpus is prose that names no identifier: nothing is chased.
        "analysis/analysis--t5-a1.md", "critiques/critique--t7-a1.md",
        "designs/design--t6-a1.md", "final/report.md", "findings/research--t2-a1.md",
        "findings/research--t3-a1.md", "findings/research--t4-a1.md", "plan.md"]


async def test_the_report_answers_each_question_citing_several_corpus_files(
    make_harness: Any, tmp_path: Path,
) -> None:
    _, bodies, corpus = await run_readme_example(make_harness, tmp_path)
    report = bodies["final/report.md"]
    assert report.startswith("# How do task queues survive worker crashes? Compare retries")
    for heading in ("## 1. How do task queues survive worker crashes?",
                    "## 2. Compare retries with backoff and leases",
                    "## 3. What should a dead-letter queue hold?",
                    "## What is missing and why", "## Sources"):
        assert heading in report
    cited = CITATION.findall(report)
    files = {path for path, _, _ in cited}
    assert len(files) >= 5
    assert {"leases-and-heartbeats.md", "retries-and-backoff.md",
            "dead-letter-queues.md"} <= files
    for path, start, end in cited:
        lines = (corpus / path).read_text(encoding="utf-8").split("\n")
        assert 1 <= int(start) <= int(end or start) <= len(lines)
    sources = report.split("## Sources")[1]
    assert all(f"`{path}:" in sources for path in files)
    # Plumbing that says nothing is left out; the report never claims nothing is missing.
    assert "## Tasks that failed or died" not in report
    assert "Nothing:" not in report
    assert report.count("**Where to look:** `") == 3
    assert "Passages that may disagree" in report


async def test_the_same_request_and_corpus_give_the_same_report(
    make_harness: Any, tmp_path: Path,
) -> None:
    _, first, _ = await run_readme_example(make_harness, tmp_path / "one")
    _, second, _ = await run_readme_example(make_harness, tmp_path / "two")
    # Task ids start at 1 in each database, and no session id or time is in any body.
    assert first["final/report.md"] == second["final/report.md"]
    assert first == second
