"""The two skill contracts, and what a skill may return or raise.

A legacy skill is any class with `def execute(self, **kwargs)` (or named parameters):
it gets the task's input as keyword arguments and its return value is written to the
blackboard for it. A swarm-aware skill has `async def execute(self, ctx)` and gets a
`SwarmContext`. Subclassing `SwarmSkill` is optional; it only documents the contract.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, Field

from skills.errors import Fail, Retry
from skills.llm.answers import ChatModel
from taskqueue import NewTask, Task

# Retry and Fail are defined with the other errors; skill files import them from here.
__all__ = ["BlackboardView", "Fail", "Retry", "SkillResult", "SwarmContext", "SwarmSkill"]


class SkillResult(BaseModel):
    """What a swarm-aware skill may return: files it wrote, a summary, small data."""

    summary: str = ""
    files: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class BlackboardView(Protocol):
    """The part of the session's blackboard a skill sees."""

    def read(self, path: str) -> str: ...
    def write(self, path: str, text: str, sources: builtins.list[str] | None = None) -> str: ...
    def list(self, folder: str = "") -> list[str]: ...
    def write_output(self, folder: str, stem: str, text: str,
                     sources: builtins.list[str] | None = None) -> str: ...
    def write_shared(self, path: str, text: str) -> str: ...
    def append(self, path: str, text: str, *, first: bool = False, last: bool = False) -> str: ...


class SwarmContext(Protocol):
    """What a swarm-aware skill's `ctx` offers (docs/interfaces.md, "Skill files")."""

    input: dict[str, Any]
    # The input validated against the skill's `input_model` (defaults applied), or None
    # for a skill without one.
    params: BaseModel | None
    task_id: int
    session_id: str
    role: str
    attempt: int
    restored: Any
    llm: ChatModel | None

    # Read-only, so that a context may hold any board that offers the view's methods.
    @property
    def blackboard(self) -> BlackboardView: ...
    @property
    def cancelled(self) -> bool: ...
    async def progress(self, fraction: float, note: str = "", *,
                       message: tuple[str, dict[str, Any]] | None = None) -> None: ...
    async def publish(self, kind: str, body: dict[str, Any]) -> None: ...
    async def enqueue(
        self, *, role: str, skill: str | None = None,
        input: dict[str, Any] | None = None,  # noqa: A002 - the name docs/interfaces.md gives
        priority: int = 0, depends_on: list[int] | None = None, title: str = "",
        key: str | None = None, before: list[int] | None = None, run_on_partial: bool = False,
    ) -> int: ...
    async def enqueue_plan(self, tasks: list[NewTask]) -> list[int]: ...
    async def session_tasks(self) -> list[Task]: ...
    async def checkpoint(self, state: Any) -> None: ...
    async def corpus_paths(self, corpus: str, index: str) -> tuple[Path, Path]: ...


class SwarmSkill:
    """Base class for swarm-aware skills (optional: the `execute(ctx)` shape is enough)."""

    name: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()
    input_model: ClassVar[type[BaseModel] | None] = None

    async def execute(self, ctx: SwarmContext) -> SkillResult | str | None:
        raise NotImplementedError
