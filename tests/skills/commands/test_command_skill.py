"""Command skills: a fake coding CLI edits files in a worktree of its own, on a branch of
its own, the user's checkout untouched; its diff and output go to the blackboard; a
failing or hanging program fails the task with its output kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from skills.errors import Fail
from tests.skills.commands.conftest import FAKE_CODER, CommandHarness, git

pytestmark = pytest.mark.timeout(120)

CODER = {"command": [sys.executable, str(FAKE_CODER), "{prompt}"], "workdir": "worktree"}


async def test_a_coding_cli_edits_files_on_its_own_branch_and_leaves_a_diff(
        commands: CommandHarness) -> None:
    task, result = await commands.run(CODER, {"prompt": "add greet",
                                              "repo": str(commands.repo)})

    branch = result.data["branch"]
    assert branch == f"swarm/{commands.session_id.lower()}/task-{task.id}"
    diff = commands.read(f"patches/task-{task.id}.diff")
    assert "+++ b/greet.py" in diff
    assert "+add greet" in diff
    assert result.data["files_changed"] == 2
    log = commands.read(f"logs/task-{task.id}.md")
    assert "exit status 0" in log
    assert "edited greet.py" in log
    # The user's checkout is untouched; the branch keeps the work; the worktree is gone.
    assert git(commands.repo, "status", "--porcelain") == ""
    assert not (commands.repo / "greet.py").exists()
    assert git(commands.repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert "greet.py" in git(commands.repo, "show", "--stat", branch)
    assert len(git(commands.repo, "worktree", "list").splitlines()) == 1


async def test_a_failing_cli_fails_the_task_with_its_output_kept(
        commands: CommandHarness) -> None:
    failing = {**CODER, "command": [sys.executable, str(FAKE_CODER), "--fail", "{prompt}"]}
    with pytest.raises(Fail, match="exited with status 3; its output is kept in logs/task-"):
        await commands.run(failing, {"prompt": "x", "repo": str(commands.repo)})
    logs = commands.board.list("logs")
    assert "fake_coder: cannot do 'x': no model" in commands.read(logs[0])
    assert len(git(commands.repo, "worktree", "list").splitlines()) == 1


async def test_a_program_past_its_timeout_is_stopped_and_fails(
        commands: CommandHarness) -> None:
    sleeper = {"command": [sys.executable, "-c", "import time; print('working', flush=True);"
                           " time.sleep(60)"], "timeout_s": 0.5}
    with pytest.raises(Fail, match=r"stopped after 0.5 s \(timeout_s\)"):
        await commands.run(sleeper, {})
    assert "working" in commands.read(commands.board.list("logs")[0])


async def test_a_missing_input_key_or_repository_is_named(commands: CommandHarness) -> None:
    with pytest.raises(Fail, match=r"\{prompt\} is not in the task's input"):
        await commands.run(CODER, {"repo": str(commands.repo)})
    with pytest.raises(Fail, match=r"start the session with `run --repo PATH`"):
        await commands.run(CODER, {"prompt": "x"})


async def test_a_program_in_a_temporary_directory_leaves_no_diff(
        commands: CommandHarness, tmp_path: Path) -> None:
    task, result = await commands.run({"command": ["pwd"]}, {})
    assert result.data["branch"] is None
    assert commands.board.list("patches") == []
    assert "swarm-task-" in commands.read(f"logs/task-{task.id}.md")
