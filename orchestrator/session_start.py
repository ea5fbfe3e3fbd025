"""Starting a session: everything is checked first, then created in an order that a
resume can finish if start-up is cut short."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from blackboard.layout import CONTEXT_FILE, PLAN_FILE
from orchestrator.board_copies import share_file
from orchestrator.config import CONFIG_FILE, SwarmConfig
from orchestrator.plan_file import load_plan
from orchestrator.requests import check_request
from orchestrator.role_python import check_role_pythons
from orchestrator.workspace import Workspace
from skills import SkillRegistry
from skills.agents.settings import AGENT_SKILL
from skills.commands.skill import REPO_KEY, CommandSkill
from skills.corpus_snapshots import snapshot_name, upload_snapshot
from skills.isolation import ChildCheck
from skills.offline import CorpusError, CorpusIndex
from skills.offline.snapshot import build_manifest
from skills.roles import DEFAULT_SKILL_FOR_ROLE, PLANNER, RESEARCHER
from skills.writing.plan_md import render_plan_md
from taskqueue import HUMAN_ROLE, NewTask, Session, Store, SwarmError


class RunOptions(BaseModel):
    """What `run` was started with; stored in the session so `resume` can do the same."""

    corpus: Path | None = None
    index: Path | None = None
    # The corpus as a snapshot in the store (skills/corpus_snapshots.py), when the
    # blackboard goes through it: workers on other hosts read that, not `corpus`.
    corpus_snapshot: str | None = None
    plan: Path | None = None
    workers: dict[str, int] = Field(default_factory=dict)
    skills_dirs: list[Path] = Field(default_factory=list)
    timeout_s: float | None = None
    # A person approves the planner's design before the synthesis (`run --review`).
    review: bool = False
    # The git repository command skills work on, each task in a worktree of its own.
    repo: Path | None = None
    # Start no workers for the session: those of `swarm serve` hosts claim its tasks.
    no_workers: bool = False
    initial_tasks: list[NewTask] = Field(default_factory=list)


class CorpusProblem(SwarmError):
    """The corpus cannot be searched."""


def prepare(
    ws: Workspace, config: SwarmConfig, request: str, options: RunOptions
) -> tuple[str, RunOptions]:
    """Check the request, skills, corpus and plan; build the first tasks. Creates nothing
    but the corpus's search index."""
    request = check_request(request)
    check_role_pythons(config.roles, ws.home / CONFIG_FILE)
    if options.repo is not None and not (options.repo / ".git").exists():
        raise SwarmError(f"--repo {options.repo}: not a git repository (no .git)")
    for directory in options.skills_dirs:
        if not directory.is_dir():
            raise SwarmError(f"--skills-dir {directory}: no such directory")
    # Absolute, as the home is: the home's `skills/` given relative is read once. Each
    # skill file is imported in a child first: one that exits or hangs at import stops
    # this check with its name, instead of ending or hanging the command.
    check = ChildCheck()
    registry = SkillRegistry.standard([d.absolute() for d in options.skills_dirs], ws.home,
                                      check_file=check)
    if check.refused:
        raise SwarmError(f"skill file {check.refused[0]}; fix or remove it (its workers "
                         "would die loading it)")
    corpus = (options.corpus or Path.cwd()).absolute()
    index = ws.index_path(corpus)
    _index_corpus(corpus, index)
    # Every configured role is known, with workers or not: a role set to 0 workers is
    # served by workers started by hand (the session says so, and waits for one).
    roles = list(config.roles)
    if options.review and options.plan is not None:
        raise SwarmError("--review asks the planner for a human review of its design; with "
                         f"--plan, add a task of role {HUMAN_ROLE!r} to the plan file instead")
    if options.plan is not None:
        initial = load_plan(options.plan, request=request, roles=roles, registry=registry,
                            max_attempts=config.max_attempts)
        initial = [_with_corpus(task, registry, corpus, index) for task in initial]
        initial = [_with_repo(task, registry, options.repo) for task in initial]
    else:
        initial = [NewTask(
            key="plan", role=PLANNER, skill=DEFAULT_SKILL_FOR_ROLE[PLANNER], title="Plan the work",
            priority=100,
            max_attempts=config.max_attempts,
            input={"request": request, "corpus": str(corpus), "index": str(index),
                   "max_attempts": config.max_attempts, "chase": config.chase.model_dump(),
                   **({"review": True} if options.review else {})},
        )]
    return request, options.model_copy(update={
        "corpus": corpus, "index": index, "initial_tasks": initial,
        "skills_dirs": [d.absolute() for d in options.skills_dirs],
        "plan": options.plan.absolute() if options.plan else None,
        "repo": options.repo.absolute() if options.repo else None,
    })


# What a command task gets beyond its command's timeout: the diff and the log are written.
_REPORT_MARGIN_S = 30.0
# The skills that search the session's corpus, and so are given it.
_SEARCHING_SKILLS = frozenset({DEFAULT_SKILL_FOR_ROLE[RESEARCHER], AGENT_SKILL})


def _with_corpus(task: NewTask, registry: SkillRegistry, corpus: Path, index: Path) -> NewTask:
    """A plan file's research task searches the session's corpus unless it names one."""
    if task.role == HUMAN_ROLE:
        return task
    if registry.for_task(task.skill, task.role).name not in _SEARCHING_SKILLS:
        return task
    given = {"corpus": str(corpus), "index": str(index)}
    return task.model_copy(update={"input": {**given, **task.input}})


def _with_repo(task: NewTask, registry: SkillRegistry, repo: Path | None) -> NewTask:
    """A command task is told the session's repository, and gets the time its command
    may take (plus a margin to report) unless the plan gives it a time limit."""
    if task.role == HUMAN_ROLE:
        return task
    spec = registry.for_task(task.skill, task.role)
    if not issubclass(spec.cls, CommandSkill):
        return task
    given = {REPO_KEY: str(repo.absolute())} if repo is not None else {}
    timeout_s = task.timeout_s or spec.cls.settings.timeout_s + _REPORT_MARGIN_S
    return task.model_copy(update={"input": {**given, **task.input}, "timeout_s": timeout_s})


def _index_corpus(corpus: Path, index: Path) -> None:
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        CorpusIndex(index, corpus).refresh()
    except CorpusError as exc:
        raise CorpusProblem(f"--corpus: {exc}") from exc


async def create_session(
    ws: Workspace, store: Store, request: str, options: RunOptions
) -> Session:
    options = await share_corpus(ws, store, options)
    session = await store.create_session(request, options.model_dump(mode="json"))
    await ensure_started(ws, store, session)
    return session


async def share_corpus(ws: Workspace, store: Store, options: RunOptions) -> RunOptions:
    """With a blackboard through the store, put the corpus in it as a snapshot (only the
    files it lacks) and record the snapshot's hash in the options."""
    if not ws.board_through_store or options.corpus is None or options.index is None:
        return options
    snapshot = await share_corpus_now(options.corpus, options.index, store)
    return options.model_copy(update={"corpus_snapshot": snapshot})


async def share_corpus_now(corpus: Path, index: Path, store: Store, *,
                           only: str | None = None) -> str:
    """Upload the corpus's snapshot (the files the store lacks); its hash. With `only`,
    nothing is uploaded unless the snapshot is that one."""
    try:
        manifest = await asyncio.to_thread(build_manifest, CorpusIndex(index, corpus))
        if only is not None and snapshot_name(manifest) != only:
            return snapshot_name(manifest)
        return await upload_snapshot(store, corpus, manifest)
    except (CorpusError, OSError) as exc:
        raise CorpusProblem(f"--corpus: it cannot be shared through the store ({exc})") from exc


async def restore_corpus_snapshot(store: Store, session: Session) -> None:
    """Put the session's corpus snapshot back in the store if the store lost it (a Redis
    restarted from an AOF that missed its last second). The snapshot is put last, after
    its files, so it is the one to check. Only the same corpus can restore it: a corpus
    changed since the session began makes another snapshot, refused with a clear error."""
    options = options_of(session)
    snapshot, corpus, index = options.corpus_snapshot, options.corpus, options.index
    if snapshot is None or corpus is None or index is None:
        return
    if not await store.missing_blobs([snapshot]):
        return
    if await share_corpus_now(corpus, index, store, only=snapshot) != snapshot:
        raise CorpusProblem(
            f"session {session.id}: the store lost its corpus snapshot and {corpus} "
            "has changed since the session began, so it cannot be put back")


async def ensure_started(ws: Workspace, store: Store, session: Session) -> None:
    """Write context.md and enqueue the first tasks unless that was already done."""
    options = RunOptions.model_validate(session.options)
    board = ws.board(session.id)
    board.create()
    written = board.list("")
    if CONTEXT_FILE not in written:
        board.write(CONTEXT_FILE, render_context(session, options))
    if options.plan is not None and PLAN_FILE not in written:
        # The planner writes plan.md for its own plans; a plan file is shown the same way.
        board.write(PLAN_FILE, render_plan_md(options.initial_tasks))
    # Workers on other hosts read them from the store.
    for name in (CONTEXT_FILE, PLAN_FILE) if options.plan is not None else (CONTEXT_FILE,):
        await share_file(ws, store, session.id, name)
    if not await store.list_tasks(session.id):
        await store.enqueue_plan(session.id, options.initial_tasks)


def render_context(session: Session, options: RunOptions) -> str:
    started = datetime.fromtimestamp(session.created_at, UTC).isoformat(timespec="seconds")
    lines = [
        f"# {session.request.splitlines()[0][:120]}", "",
        "## Request", "", session.request, "",
        "## Options", "",
        f"- session: `{session.id}`",
        f"- started: {started}",
        f"- corpus: `{options.corpus}`"
        + (f" (snapshot `{options.corpus_snapshot[:12]}`)" if options.corpus_snapshot else ""),
        f"- plan: {'`' + str(options.plan) + '`' if options.plan else 'the offline planner'}",
    ]
    if options.review:
        lines.append("- review: a person approves the design before the synthesis")
    if options.no_workers:
        lines.append("- workers: none started by the run; `swarm serve` hosts serve it")
    if options.workers:
        lines.append("- workers: " + ", ".join(f"{r}={n}" for r, n in options.workers.items()))
    for directory in options.skills_dirs:
        lines.append(f"- skills directory: `{directory}`")
    return "\n".join(lines) + "\n"


def options_of(session: Session) -> RunOptions:
    return RunOptions.model_validate(session.options)
