"""`python -m orchestrator` (also `swarm`): the command line of INTERFACES.md."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from orchestrator import views
from orchestrator.cancelling import cancel_session, cancel_task
from orchestrator.cli_inputs import (
    MessageId,
    Seconds,
    SwarmGroup,
    apply_workers,
    read_standard_input,
)
from orchestrator.dashboard.settings import DEFAULT_HOST, DEFAULT_PORT, DashboardSettings
from orchestrator.follow import Renderer, follow
from orchestrator.hosts import serve as serve_workers
from orchestrator.hosts import serve_config
from orchestrator.human import answer_human_task, parse_task_id
from orchestrator.progress import JsonRenderer, LiveRenderer, PlainRenderer
from orchestrator.session_run import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    conclude,
    run_session,
    start_detached,
)
from orchestrator.session_start import (
    RunOptions,
    create_session,
    ensure_started,
    prepare,
    restore_corpus_snapshot,
)
from orchestrator.supervisor import Supervisor
from orchestrator.workspace import STORE_ENV, Workspace, resolve_home
from taskqueue import SessionStatus, Store, SwarmError

T = TypeVar("T")

home_option = click.option(
    "--home", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="The workspace (default: $SWARM_HOME, else ./.swarm).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def reports_errors(command: Callable[..., None]) -> Callable[..., None]:
    """A user's mistake is one line on stderr and exit 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except SwarmError as exc:
            click.echo(f"swarm: error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("swarm: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def workspace(home: Path | None) -> Workspace:
    return Workspace(resolve_home(home))


def existing_workspace(home: Path | None) -> Workspace:
    ws = workspace(home)
    if not ws.exists():
        raise SwarmError(f"no swarm workspace at {ws.home} (start one with: swarm run \"...\")")
    return ws


def renderer_for(as_json: bool) -> Renderer:
    if as_json:
        return JsonRenderer()
    return LiveRenderer() if sys.stdout.isatty() else PlainRenderer()


def set_up_logging() -> None:
    logging.basicConfig(level=os.environ.get("SWARM_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)


@click.group(cls=SwarmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", metavar="URL", default=None,
              help="The store: sqlite:///path (default: the workspace's swarm.db), "
                   "redis://host:port/db or rediss://... (else $SWARM_STORE, else config "
                   "`store`).")
def main(store: str | None) -> None:
    """swarm: plan a request into tasks and run them on worker processes, offline."""
    if store:
        # Through the environment, every process this command starts uses it too.
        os.environ[STORE_ENV] = store
    # From here Ctrl-C raises KeyboardInterrupt (exit 130); `run` and `resume` turn it
    # into a clean stop of the session's workers.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    set_up_logging()


@main.command()
@click.argument("request")
@click.option("--corpus", type=click.Path(path_type=Path), default=None,
              help="The directory research searches (default: the current directory).")
@click.option("--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="A plan file (TOML or JSON) instead of the planner.")
@click.option("--workers", "workers", multiple=True, metavar="ROLE=N",
              help="Worker processes for a role (repeatable).")
@click.option("--skills-dir", "skills_dirs", multiple=True,
              type=click.Path(path_type=Path), help="A directory of skill files (repeatable).")
@click.option("--timeout", "timeout_s", type=Seconds(),
              default=None, help="Give up after this many seconds (exit 3; resumable).")
@click.option("--detach", is_flag=True, help="Return at once; the session runs on.")
@click.option("--review", is_flag=True,
              help="A person approves the design before the synthesis (swarm answer).")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="A git repository; command skills with workdir = \"worktree\" each work "
                   "on a branch of their own in a worktree of it.")
@click.option("--no-workers", is_flag=True,
              help="Start no workers here: wait for those of `swarm serve` hosts.")
@home_option
@json_option
@reports_errors
def run(request: str, corpus: Path | None, plan_file: Path | None, workers: tuple[str, ...],
        skills_dirs: tuple[Path, ...], timeout_s: float | None, detach: bool, review: bool,
        repo: Path | None, no_workers: bool, home: Path | None, as_json: bool) -> None:
    """Plan, run and follow one session; print the report's path last.

    REQUEST `-` reads the request from standard input.
    """
    if request == "-":
        request = read_standard_input()
    ws = workspace(home)
    config, counts = apply_workers(ws.config(), workers)
    options = RunOptions(corpus=corpus, plan=plan_file, workers=counts,
                         skills_dirs=list(skills_dirs), timeout_s=timeout_s, review=review,
                         repo=repo, no_workers=no_workers)
    ws.ensure_writable()
    request, options = prepare(ws, config, request, options)
    sys.exit(run_async(_run(ws, request, options, detach, as_json)))


async def _run(ws: Workspace, request: str, options: RunOptions, detach: bool,
               as_json: bool) -> int:
    store = await ws.open_store()
    try:
        session = await create_session(ws, store, request, options)
        _announce_session(session.id, as_json)
        if detach:
            start_detached(ws, session.id)
            return 0
        return await _follow_to_end(ws, store, session.id, options.timeout_s, as_json)
    finally:
        await store.close()


def _announce_session(session_id: str, as_json: bool) -> None:
    if as_json:
        JsonRenderer().line(kind="session", session_id=session_id)
    else:
        click.echo(session_id)


async def _follow_to_end(ws: Workspace, store: Store, session_id: str, timeout_s: float | None,
                         as_json: bool) -> int:
    session = await store.get_session(session_id)
    renderer = renderer_for(as_json)
    code, summary = await run_session(ws, store, session, ws.config(), renderer,
                                      timeout_s=timeout_s)
    report = ws.report_path(session_id)
    _announce_end("run.finished", code, summary, report if report.exists() else None, as_json)
    return code


def _announce_end(kind: str, code: int, summary: str, report: Path | None,
                  as_json: bool) -> None:
    """The summary and the report's path, last: one JSON line with `--json`, so that
    every line of JSON output parses."""
    if as_json:
        JsonRenderer().line(kind=kind, exit=code, summary=summary,
                            report=str(report) if report is not None else None)
        return
    click.echo(summary, err=code != 0)
    if report is not None:
        click.echo(report)


@main.command()
@click.argument("session_id", metavar="SESSION")
@click.option("--timeout", "timeout_s", type=Seconds(),
              default=None, help="Give up after this many seconds (exit 3).")
@home_option
@json_option
@reports_errors
def resume(session_id: str, timeout_s: float | None, home: Path | None, as_json: bool) -> None:
    """Start the workers again and finish a session, redoing no finished task."""
    ws = existing_workspace(home)
    sys.exit(run_async(_resume(ws, session_id, timeout_s, as_json)))


async def _resume(ws: Workspace, prefix: str, timeout_s: float | None, as_json: bool) -> int:
    store = await ws.open_store()
    try:
        session = await store.find_session(prefix)
        if session.status is SessionStatus.CANCELLED:
            raise SwarmError(f"session {session.id} was cancelled; it cannot be resumed")
        await restore_corpus_snapshot(store, session)
        await store.finish_session(session.id, SessionStatus.RUNNING)
        await ensure_started(ws, store, session)
        _announce_session(session.id, as_json)
        return await _follow_to_end(ws, store, session.id, timeout_s, as_json)
    finally:
        await store.close()


@main.command()
@click.argument("session_id", metavar="SESSION")
@click.option("--timeout", "timeout_s", type=Seconds(),
              default=None, help="Stop following after this many seconds (exit 3).")
@click.option("--after", "after", type=MessageId(), default=None, metavar="N",
              help="Start after message N (the `id` of a --json line), not from the start.")
@home_option
@json_option
@reports_errors
def watch(session_id: str, timeout_s: float | None, after: int | None, home: Path | None,
          as_json: bool) -> None:
    """Follow a running session live until it ends."""
    ws = existing_workspace(home)
    sys.exit(run_async(_watch(ws, session_id, timeout_s, after, as_json)))


async def _watch(ws: Workspace, prefix: str, timeout_s: float | None, after: int | None,
                 as_json: bool) -> int:
    store = await ws.open_store()
    try:
        session = await store.find_session(prefix)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, stop.set)
        end, _ = await follow(store, session.id, renderer_for(as_json), stop=stop,
                              timeout_s=timeout_s, after=after)
        code, summary = await conclude(ws, store, session.id, end)
        report = ws.report_path(session.id)
        shown = report if report.exists() and code in (0, 1) else None
        _announce_end("watch.finished", code, summary, shown, as_json)
        return code
    finally:
        await store.close()


@main.command()
@home_option
@json_option
@reports_errors
def sessions(home: Path | None, as_json: bool) -> None:
    """One line per session: id, status, tasks done/total, age."""
    ws = existing_workspace(home)
    run_async(_with_store(ws, lambda store: views.show_sessions(store, as_json)))


@main.command()
@click.argument("session_id", metavar="SESSION")
@home_option
@json_option
@reports_errors
def status(session_id: str, home: Path | None, as_json: bool) -> None:
    """The session's tasks: id, role, skill, status, attempts, time, error."""
    ws = existing_workspace(home)

    async def show(store: Store) -> None:
        await views.show_status(store, await store.find_session(session_id), as_json)

    run_async(_with_store(ws, show))


@main.command()
@click.argument("session_id", metavar="SESSION")
@click.argument("path", required=False)
@home_option
@reports_errors
def blackboard(session_id: str, path: str | None, home: Path | None) -> None:
    """The session's blackboard as a tree, or one file."""
    ws = existing_workspace(home)

    async def show(store: Store) -> None:
        views.show_blackboard(ws, await store.find_session(session_id), path)

    run_async(_with_store(ws, show))


@main.command()
@click.argument("session_id", metavar="[SESSION]", required=False)
@click.option("--task", "task", metavar="TASK", default=None,
              help="Cancel this one task (its id, as `status` shows it) instead of a session.")
@home_option
@reports_errors
def cancel(session_id: str | None, task: str | None, home: Path | None) -> None:
    """Stop a session: queued tasks are cancelled, running ones asked to stop.

    With --task, only that task, and the tasks that cannot run without it. What has
    already finished is refused (exit 2).
    """
    if (session_id is None) == (task is None):
        raise click.UsageError("give either a SESSION or --task TASK")
    task_id = parse_task_id(task) if task is not None else None
    ws = existing_workspace(home)

    async def do_cancel(store: Store) -> None:
        if task_id is not None:
            click.echo(await cancel_task(store, task_id))
        else:
            click.echo(await cancel_session(store, str(session_id)))

    run_async(_with_store(ws, do_cancel))


@main.command()
@click.argument("task", metavar="TASK")
@click.argument("text", metavar="TEXT")
@home_option
@reports_errors
def answer(task: str, text: str, home: Path | None) -> None:
    """Answer a task of role human; TEXT `-` reads the answer from standard input."""
    task_id = parse_task_id(task)
    if text == "-":
        text = read_standard_input()
    ws = existing_workspace(home)

    async def do_answer(store: Store) -> None:
        path = await answer_human_task(ws, store, task_id, text, source="cli")
        click.echo(f"task {task_id} answered: {path}")

    run_async(_with_store(ws, do_answer))


@main.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="The address to listen on; another than loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="The port (0: any free one).")
@click.option("--token", envvar="SWARM_DASHBOARD_TOKEN", default=None,
              help="Every request must carry it (env: SWARM_DASHBOARD_TOKEN).")
@home_option
@reports_errors
def dashboard(host: str, port: int, token: str | None, home: Path | None) -> None:
    """Serve the live board of every session on http://HOST:PORT/."""
    settings = DashboardSettings.checked(host=host, port=port, token=token)
    # Imported here: the web stack is not loaded by the other commands.
    from orchestrator.dashboard.server import serve

    try:
        serve(workspace(home), settings)
    except KeyboardInterrupt:
        click.echo("swarm dashboard: stopped", err=True)


@main.command()
@click.option("--workers", "workers", multiple=True, metavar="ROLE=N",
              help="Keep N workers of ROLE (repeatable; default: every role, as configured).")
@click.option("--skills-dir", "skills_dirs", multiple=True,
              type=click.Path(path_type=Path), help="A directory of skill files (repeatable).")
@home_option
@reports_errors
def serve(workers: tuple[str, ...], skills_dirs: tuple[Path, ...], home: Path | None) -> None:
    """Keep workers alive on this host for every session of the store, until stopped."""
    ws = workspace(home)
    config, counts = apply_workers(ws.config(), workers)
    ws.ensure_writable()
    supervisor_config = serve_config(ws, config, list(counts), skills_dirs)

    def announce(supervisor: Supervisor) -> None:
        click.echo("serving " + ", ".join(f"{s.role}={s.worker_id}" for s in supervisor.slots))

    run_async(serve_workers(ws, supervisor_config, announce))


@main.command()
@home_option
@json_option
@reports_errors
def workers(home: Path | None, as_json: bool) -> None:
    """The live workers of every host: id, role, host, pid, tasks, heartbeat, memory."""
    ws = existing_workspace(home)
    timeout_s = ws.config().heartbeat_timeout_s
    run_async(_with_store(ws, lambda store: views.show_workers(store, as_json, timeout_s)))


@main.command()
@click.option("--skills-dir", "skills_dirs", multiple=True, type=click.Path(path_type=Path),
              help="A directory of skill files (repeatable).")
@home_option
@json_option
@reports_errors
def skills(skills_dirs: tuple[Path, ...], home: Path | None, as_json: bool) -> None:
    """Every skill found, its kind, roles and origin; exit 1 if one failed to load."""
    sys.exit(views.show_skills(workspace(home), list(skills_dirs), as_json))


async def _with_store(ws: Workspace, action: Callable[[Store], Coroutine[Any, Any, None]]) -> None:
    store = await ws.open_store()
    try:
        await action(store)
    finally:
        await store.close()
