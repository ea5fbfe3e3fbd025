"""A real session for agent tests: a SQLite store, a blackboard, the sample corpus indexed,
a scripted model server on 127.0.0.1, and a way to run one agent task in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blackboard import Blackboard
from skills import SkillRegistry, SkillResult, TaskContext, run_skill
from skills.llm import ModelEndpoint
from skills.offline import CorpusIndex
from skills.roles import goes_on_when_budget_spent
from skills.workspace_skills import WorkspaceSkills, parse_workspace_skills
from support.fake_llm import FakeModelServer, fast_config
from taskqueue import Message, NewTask, SqliteStore, Task, session_channel

SAMPLE_CORPUS = Path(__file__).resolve().parents[3] / "corpus"
ROLE = "investigator"


@dataclass
class AgentHarness:
    """One session, a registry with `investigator` configured as an agent, and the model."""

    store: SqliteStore
    board: Blackboard
    session_id: str
    registry: SkillRegistry
    server: FakeModelServer
    home: Path
    index: Path

    def configure(self, **role: Any) -> None:
        """Make `investigator` an agent with these `[roles.investigator]` keys."""
        table = {"skill": "agent", **role}
        self.registry.add_configured(self.workspace({"roles": {ROLE: table}}))

    def workspace(self, data: dict[str, Any]) -> WorkspaceSkills:
        return parse_workspace_skills(data, str(self.home / "config.toml"))

    async def run(self, goal: str, *, role: str = ROLE, stream: bool = False,
                  **model: Any) -> tuple[Task, SkillResult]:
        """Enqueue, claim and run one agent task as a worker with a model would."""
        await self.store.enqueue(self.session_id, NewTask(role=role, input={
            "goal": goal, "corpus": str(SAMPLE_CORPUS), "index": str(self.index)}))
        claimed = await self.store.claim("w", [role], lease_s=60, session_id=self.session_id)
        task = claimed[0]
        endpoint = ModelEndpoint(fast_config(self.server.url, stream=stream, **model),
                                 self.store, owner="w",
                                 keeps_running=goes_on_when_budget_spent)
        try:
            spec = self.registry.for_task(task.skill, task.role)
            ctx = TaskContext(self.store, task, worker_id="w", skill=spec.name,
                              board=self.board)
            ctx.llm = endpoint.for_task(task, ctx.progress_note)
            result = await run_skill(spec, ctx, timeout_s=60)
            await ctx.blackboard.drain()
        finally:
            await endpoint.close()
        return task, result

    def read(self, path: str) -> str:
        return self.board.read(path).body

    async def messages(self, kind: str) -> list[Message]:
        got = await self.store.read([session_channel(self.session_id)])
        return [m for m in got if m.kind == kind]


@pytest.fixture
async def agents(tmp_path: Path, server: FakeModelServer) -> AsyncIterator[AgentHarness]:
    store = await SqliteStore.open(tmp_path / "swarm.db", sender="test")
    session = await store.create_session("investigate", {})
    board = Blackboard(tmp_path / "blackboard", session.id)
    board.create()
    registry = SkillRegistry()
    registry.add_builtins()
    index = tmp_path / "corpus.db"
    CorpusIndex(index, SAMPLE_CORPUS).refresh()
    yield AgentHarness(store, board, session.id, registry, server, tmp_path, index)
    await store.close()
