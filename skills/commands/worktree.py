"""A task's own git worktree: made on a branch of its own from the repository's HEAD,
its changes committed to that branch and returned as a diff, then the directory removed.

The user's checkout is never touched: `git worktree add` makes a separate directory, and
the branch (`swarm/<session>/task-<id>`) stays for the user to review, merge or delete.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from blackboard.layout import sanitize_stem
from skills.errors import Fail

__all__ = ["Worktree", "add_worktree", "branch_name", "commit_changes", "remove_worktree"]

# Commits swarm makes on a task's branch, whoever the user is.
_IDENTITY = ("-c", "user.name=swarm", "-c", "user.email=swarm@localhost")


@dataclass(frozen=True)
class Worktree:
    repo: Path
    path: Path
    branch: str
    base: str


def branch_name(session_id: str, task_id: int) -> str:
    return f"swarm/{sanitize_stem(session_id)}/task-{task_id}"


async def git(where: Path, *args: str) -> str:
    """Run git in `where`; its output, or `Fail` with git's own words."""
    process = await asyncio.create_subprocess_exec(
        "git", *_IDENTITY, "-C", str(where), *args, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        said = err.decode("utf-8", "replace").strip().splitlines()
        raise Fail(f"git {args[0]} in {where} failed: {said[-1] if said else process.returncode}")
    return out.decode("utf-8", "replace")


async def add_worktree(repo: Path, session_id: str, task_id: int) -> Worktree:
    """A new worktree of `repo`'s HEAD on the task's branch (reset if a retry finds it)."""
    if not (repo / ".git").exists():
        raise Fail(f"--repo {repo} is not a git repository (no .git)")
    base = (await git(repo, "rev-parse", "HEAD")).strip()
    path = Path(tempfile.mkdtemp(prefix=f"swarm-task-{task_id}-")) / "worktree"
    branch = branch_name(session_id, task_id)
    await git(repo, "worktree", "add", "--quiet", "-B", branch, str(path), base)
    return Worktree(repo, path, branch, base)


async def commit_changes(tree: Worktree, message: str) -> str:
    """Commit everything the program changed to the task's branch; the diff from the
    base ('' when nothing changed)."""
    await git(tree.path, "add", "--all")
    diff = await git(tree.path, "diff", "--cached", "--binary", tree.base)
    if diff:
        await git(tree.path, "commit", "--quiet", "--no-verify", "-m", message)
    return diff


async def remove_worktree(tree: Worktree) -> None:
    """Remove the directory; the branch stays."""
    try:
        await git(tree.repo, "worktree", "remove", "--force", str(tree.path))
    except Fail:
        await git(tree.repo, "worktree", "prune")
    shutil.rmtree(tree.path.parent, ignore_errors=True)
