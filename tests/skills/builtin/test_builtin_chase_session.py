"""A session on a small shipped corpus of code and docs: research, then a chase of the
identifiers its passages name, and a report that shows where to look and what was chased."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skills.writing.findings import parse_findings

CODE_CORPUS = Path(__file__).resolve().parents[2] / "data" / "tinyqueue"
QUESTION = "How does the task queue recover tasks after a worker crash?"


async def test_a_chase_follows_the_research_and_the_report_uses_what_it_found(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await make_harness(tmp_path, QUESTION, corpus=CODE_CORPUS)
    try:
        await harness.enqueue("planner", harness.plan_input(QUESTION), title="Plan the work")
        ran = await harness.run_session()
        board = harness.board
        assert [(t.role, t.skill) for t in ran][:3] == [
            ("planner", None), ("researcher", "research"), ("researcher", "chase")]
        assert "| p1:chase-1 | researcher | chase | Chase definitions: " in board.read(
            "plan.md").body
        [chased_file] = [p for p in board.list("findings") if "/chase--" in p]
        chased = parse_findings(board.read(chased_file).body)
        assert chased.question == QUESTION
        assert chased.chased == ["release", "grant"]
        assert [(p.citation, p.where) for p in chased.passages] == [
            ("tinyqueue/leases.py:19-20", "LeaseBook.release"),
            ("tinyqueue/leases.py:14-17", "LeaseBook.grant")]
        report = board.read("final/report.md").body
    finally:
        await harness.store.close()
    assert ("**Where to look:** `tinyqueue/taskqueue.py` (`TaskQueue.recover_crashed_workers`"
            in report)
    assert "- [tinyqueue/taskqueue.py:26-33] `TaskQueue.recover_crashed_workers`" in report
    assert "  ```python\n  def recover_crashed_workers(self, now: float) -> list[int]:" in report
    assert "[docs/leases.rst:9-10]" in report
    assert "Definitions the researchers chased (`release`, `grant`)" in report
    assert "- [tinyqueue/leases.py:19-20] `LeaseBook.release`" in report
    sources = report.split("## Sources")[1]
    assert "`tinyqueue/leases.py:19-20`" in sources
