"""examples/code-review as its README runs it: a fake coding CLI codes in a worktree of
the user's repository, an agent reviews its diff, the coordinator reports; real worker
processes, a scripted model server on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from blackboard import Blackboard
from support.cli import SAMPLE_CORPUS, swarm
from support.fake_llm import Answer, Call, Reply, Request, answer_like_a_model, fake_model
from tests.skills.commands.conftest import REPO_ROOT, git, make_repo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

EXAMPLE = REPO_ROOT / "examples" / "code-review"


def reviewer(request: Request) -> Reply:
    """List the board, read the patch, write a review, finish."""
    if "You review code changes" not in request.system:
        return answer_like_a_model(request)
    answers = [m["content"] for m in request.body["messages"] if m["role"] == "tool"]
    if not answers:
        return Answer("", tool_calls=(Call("list_blackboard"),))
    if len(answers) == 1:
        patch = re.search(r"patches/task-\d+\.diff", answers[0])
        return Answer("", tool_calls=(Call("read_blackboard", {
            "path": patch.group(0) if patch else "missing"}),))
    if len(answers) == 2:
        verdict = "Merge: greet() is fine." if "def greet" in answers[1] else "No patch."
        return Answer("", tool_calls=(Call("write_blackboard", {
            "path": "reviews/review.md", "text": verdict}),))
    return Answer("", tool_calls=(Call("finish", {"summary": "Reviewed."}),))


def test_the_code_review_example_codes_reviews_and_reports(tmp_path: Path) -> None:
    home = tmp_path / ".swarm"
    home.mkdir()
    for name in ("config.toml", "fake_coder.py"):
        shutil.copy2(EXAMPLE / name, home / name)
    repo = make_repo(tmp_path / "demo")
    with fake_model(reviewer) as server:
        result = swarm("run", "Add a greeting", "--plan", EXAMPLE / "plan.toml",
                       "--repo", repo, "--corpus", SAMPLE_CORPUS, home=home, timeout=240,
                       env={"SWARM_LLM_BASE_URL": server.url, "SWARM_LLM_MODEL": "fake"})
    assert result.returncode == 0, (result.stdout, result.stderr)
    board = Blackboard(home / "blackboard", result.stdout.strip().splitlines()[0])
    patch = board.list("patches")[0]
    assert "+def greet(name: str) -> str:" in board.read(patch).body
    assert board.read("reviews/review.md").body == "Merge: greet() is fine."
    assert board.read("final/report.md").body
    assert git(repo, "status", "--porcelain") == ""
    assert any(b.strip().startswith("swarm/") for b in git(repo, "branch").splitlines())
