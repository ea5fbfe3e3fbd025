"""A session on a small shipped corpus of code and docs: the researcher enqueues a chase
per identifier its passages name, the later stages wait for them, and the report shows
where to look and what was chased."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skills.writing.findings import parse_findings

CODE_CORPUS = Path(__file__).resolve().parents[2] / "data" / "tinyqueue"
QUESTION = "How does the task queue recover tasks after a worker crash?"


async def test_the_researcher_s_chases_run_before_the_synthesis_which_uses_them(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await make_harness(tmp_path, QUESTION, corpus=CODE_CORPUS)
    try:
        await harness.enqueue("planner", harness.plan_input(QUESTION), title="Plan the work")
        ran = await harness.run_session()
        tasks = {t.key: t for t in await harness.tasks()}
        board = harness.board
        assert [(t.role, t.skill) for t in ran][:5] == [
            ("planner", None), ("researcher", "research"), ("researcher", "chase"),
            ("researcher", "chase"), ("analyst", "analyze")]
        chases = [tasks["chase-1"], tasks["chase-2"]]
        assert [c.input["identifier"] for c in chases] == ["release", "grant"]
        assert all(c.depends_on == [tasks["p1:research-1"].id] for c in chases)
        for waiter in ("p1:analyze", "p1:design", "p1:synthesize"):
            assert {c.id for c in chases} <= set(tasks[waiter].depends_on)
        plan = board.read("plan.md").body
        assert "## Follow-ups" in plan
        assert ("| chase-1 | researcher | chase | Chase release: " + QUESTION
                + " | p1:research-1 | p1:analyze, p1:design, p1:synthesize |") in plan
        chased = [parse_findings(board.read(path).body)
                  for path in board.list("findings") if "/chase--" in path]
        assert [(f.question, f.chased) for f in chased] == [
            (QUESTION, ["release"]), (QUESTION, ["grant"])]
        assert [(p.citation, p.where) for f in chased for p in f.passages] == [
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
