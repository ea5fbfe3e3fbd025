"""A real session for command skills: a store, a blackboard, a git repository of the
user's, and a way to run one command task in-process."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blackboard import Blackboard
from skills import SkillRegistry, SkillResult, TaskContext, run_skill
from skills.workspace_skills import parse_workspace_skills
from taskqueue import NewTask, SqliteStore, Task

REPO_ROOT = Path(__file__).resolve().parents[3]
FAKE_CODER = REPO_ROOT / "examples" / "code-review" / "fake_coder.py"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def make_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "--quiet", "-b", "main")
    (path / "README.md").write_text("# demo\n", encoding="utf-8")
    git(path, "add", ".")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "start")
    return path


@dataclass
class CommandHarness:
    store: SqliteStore
    board: Blackboard
    session_id: str
    home: Path
    repo: Path

    async def run(self, settings: dict[str, Any], given: dict[str, Any]
                  ) -> tuple[Task, SkillResult]:
        """Configure `[skills.coder]` as `settings` and run one task of it."""
        registry = SkillRegistry()
        registry.add_builtins()
        registry.add_configured(parse_workspace_skills(
            {"skills": {"coder": settings}}, str(self.home / "config.toml")))
        await self.store.enqueue(self.session_id, NewTask(role="coder", skill="coder",
                                                          input=given))
        task = (await self.store.claim("w", ["coder"], lease_s=60,
                                       session_id=self.session_id))[0]
        spec = registry.for_task(task.skill, task.role)
        ctx = TaskContext(self.store, task, worker_id="w", skill=spec.name, board=self.board)
        return task, await run_skill(spec, ctx, timeout_s=60)

    def read(self, path: str) -> str:
        return self.board.read(path).body


@pytest.fixture
async def commands(tmp_path: Path) -> AsyncIterator[CommandHarness]:
    store = await SqliteStore.open(tmp_path / "swarm.db", sender="test")
    session = await store.create_session("code", {})
    board = Blackboard(tmp_path / "blackboard", session.id)
    board.create()
    yield CommandHarness(store, board, session.id, tmp_path, make_repo(tmp_path / "repo"))
    await store.close()
