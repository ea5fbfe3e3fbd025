"""Command skills: `[skills.NAME]` in config.toml runs an external program for a task.

Its output, exit status and (in a worktree) `git diff` go to the blackboard, at
`logs/task-<id>.md` and `patches/task-<id>.diff`; a non-zero exit fails the task with
its output kept.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from blackboard.layout import LOGS, PATCHES, task_file_path
from skills.commands.process import Finished, run_program, sandboxed
from skills.commands.settings import CommandSettings, bwrap_missing
from skills.commands.worktree import Worktree, add_worktree, commit_changes, remove_worktree
from skills.contracts import Fail, SkillResult, SwarmContext, SwarmSkill

__all__ = ["REPO_KEY", "CommandInput", "CommandSkill", "command_skill", "fill_command"]

# The input key that names the repository of `run --repo`.
REPO_KEY = "repo"


class CommandInput(BaseModel):
    """Any keys: each may fill a `{key}` of the command."""

    model_config = ConfigDict(extra="allow")

    repo: str | None = None


def fill_command(command: tuple[str, ...], given: Mapping[str, Any]) -> list[str]:
    """The argv with each `{key}` replaced by the input's value; `Fail` names a missing key."""
    values = {k: v if isinstance(v, str) else str(v) for k, v in given.items()}
    try:
        return [part.format_map(values) for part in command]
    except KeyError as exc:
        raise Fail(f"command {list(command)}: {{{exc.args[0]}}} is not in the task's input"
                   ) from exc
    except (ValueError, IndexError) as exc:
        raise Fail(f"command {list(command)}: {exc}") from exc


class CommandSkill(SwarmSkill):
    """Run the configured program for a task (bound per `[skills.NAME]`)."""

    input_model = CommandInput
    settings: ClassVar[CommandSettings]

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        settings = self.settings
        argv = fill_command(settings.command, ctx.input)
        if settings.sandbox == "bwrap" and (missing := bwrap_missing()):
            raise Fail(f"skill {self.name!r}: {missing}")
        if shutil.which(argv[0]) is None:
            raise Fail(f"skill {self.name!r}: program {argv[0]!r} not found")
        tree = await self._worktree(ctx)
        workdir = tree.path if tree else Path(tempfile.mkdtemp(prefix="swarm-task-"))
        scratch = Path(tempfile.mkdtemp(prefix="swarm-scratch-"))
        try:
            await ctx.progress(0.0, f"running {argv[0]}")
            finished = await run_program(sandboxed(argv, workdir, scratch, settings),
                                         workdir, settings, _environment())
            diff = await commit_changes(tree, f"swarm task {ctx.task_id}") if tree else ""
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
            await (remove_worktree(tree) if tree else asyncio.to_thread(
                shutil.rmtree, workdir, True))
        return await self._report(ctx, argv, finished, diff, tree)

    async def _worktree(self, ctx: SwarmContext) -> Worktree | None:
        if self.settings.workdir != "worktree":
            return None
        repo = ctx.input.get(REPO_KEY)
        if not isinstance(repo, str) or not repo:
            raise Fail(f"skill {self.name!r} works in a git worktree: start the session "
                       "with `run --repo PATH`")
        return await add_worktree(Path(repo), ctx.session_id, ctx.task_id)

    async def _report(self, ctx: SwarmContext, argv: list[str], finished: Finished,
                      diff: str, tree: Worktree | None) -> SkillResult:
        log = task_file_path(LOGS, ctx.task_id, ".md")
        files = [await asyncio.to_thread(ctx.blackboard.write, log,
                                         render_log(argv, finished, tree))]
        if tree:
            patch = task_file_path(PATCHES, ctx.task_id, ".diff")
            files.append(await asyncio.to_thread(ctx.blackboard.write, patch, diff))
        if finished.timed_out:
            raise Fail(f"{argv[0]} was stopped after {self.settings.timeout_s:g} s "
                       f"(timeout_s); its output is kept in {log}")
        if finished.status != 0:
            raise Fail(f"{argv[0]} exited with status {finished.status}; its output is "
                       f"kept in {log}")
        changed = sum(1 for line in diff.splitlines() if line.startswith("diff --git"))
        summary = f"{argv[0]} exited 0" + (f", {changed} file(s) changed on {tree.branch}"
                                            if tree else "")
        return SkillResult(summary=summary, files=files, data={
            "exit": finished.status, "branch": tree.branch if tree else None,
            "files_changed": changed})


def render_log(argv: list[str], finished: Finished, tree: Worktree | None) -> str:
    ending = ("stopped on timeout" if finished.timed_out
              else f"exit status {finished.status}")
    lines = [f"# `{' '.join(argv)}`", "", f"- {ending}, after {finished.seconds:.1f} s"]
    if tree:
        lines.append(f"- branch `{tree.branch}` from `{tree.base[:12]}`")
    for name, text in (("stdout", finished.stdout), ("stderr", finished.stderr)):
        fence = "~~~~" if "```" in text else "```"
        lines += ["", f"## {name}", "", f"{fence}text", text.rstrip("\n"), fence]
    return "\n".join(lines) + "\n"


def _environment() -> dict[str, str]:
    # A program of the user's choosing gets no model key or other swarm setting.
    return {k: v for k, v in os.environ.items() if not k.startswith("SWARM_")}


def command_skill(name: str, settings: CommandSettings) -> type[CommandSkill]:
    """The command skill `name` as config.toml defines it."""
    return type(f"Command_{name}", (CommandSkill,), {
        "__module__": __name__, "name": name, "settings": settings})
