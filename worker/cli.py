"""`python -m worker --role R`: start one worker by hand or from the supervisor."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from click.decorators import FC
from pydantic import ValidationError

from skills import SkillRegistry
from skills.llm import load_llm_config
from taskqueue import HUMAN_ROLE, DiskFull, SwarmError, is_workspace
from worker.config import WorkerConfig, WorkerSettings, option_flag
from worker.exit_codes import EXIT_CANNOT_START, EXIT_DISK_FULL
from worker.loop import Worker
from worker.output_log import output_to_log

logger = logging.getLogger(__name__)


def default_home() -> Path:
    return Path(os.environ.get("SWARM_HOME", ".swarm"))


def _model_option(name: str) -> Callable[[FC], FC]:
    """The option of a `WorkerConfig` field, with the field's type, default and help:
    each default is written once, in the model."""
    field = WorkerConfig.model_fields[name]
    return click.option(option_flag(name), name, type=field.annotation, default=field.default,
                        show_default=True, help=field.description)


def _settings_options(command: FC) -> FC:
    """One option for each of `WorkerSettings`, in the model's order."""
    for name in reversed(WorkerSettings.model_fields):
        command = _model_option(name)(command)
    return command


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--role", required=True, help="The role whose tasks this worker claims.")
@click.option("--home", type=click.Path(path_type=Path),
              help="The workspace (default: $SWARM_HOME, else ./.swarm).")
@_model_option("concurrency")
@click.option("--session", "session_id",
              help="Serve only this session (default: every session).")
@click.option("--skills-dir", "skills_dirs", multiple=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="A directory of skill files (repeatable); <home>/skills is always read.")
@click.option("--store", envvar="SWARM_STORE",
              help="The store's URL: sqlite:///path (default: the workspace's swarm.db), "
                   "redis://host:port/db or rediss://... ($SWARM_STORE).")
@click.option("--worker-id", help="This worker's id (default: role-pid-random).")
@click.option("--parent-pid", type=int,
              help="Exit when this process (the supervisor) dies.")
@click.option("--blocked-limit-s", type=float,
              help="End the process (SIGALRM) when its event loop is blocked this long "
                   "(default: never).")
@click.option("--log-file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write stdout and stderr (the skills' and their children's too) here, "
                   "capped at --max-log-mb with one backup, LOG.1 (default: as started).")
@_settings_options
def main(**options: object) -> None:
    """Claim and run the tasks of one role until stopped."""
    config = _validated(options)
    with output_to_log(config.log_file, config.max_log_mb):
        code, stuck_threads = _serve(config)
        if stuck_threads:
            logging.shutdown()
    if stuck_threads:
        # A skill's thread cannot be stopped, and interpreter shutdown would wait for it.
        os._exit(code)
    sys.exit(code)


def _validated(options: dict[str, object]) -> WorkerConfig:
    options["home"] = options["home"] or default_home()
    options["skills_dirs"] = list(options["skills_dirs"])  # type: ignore[call-overload]
    try:
        # An option not given is left out: the model's default applies.
        return WorkerConfig.model_validate(
            {name: value for name, value in options.items() if value is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise click.UsageError(f"--{'-'.join(map(str, first['loc']))}: {first['msg']}") from exc


def _serve(config: WorkerConfig) -> tuple[int, bool]:
    """Run the worker: its exit status, and whether a skill's thread is stuck in it."""
    if config.role == HUMAN_ROLE:
        click.echo(f"worker: no worker runs role {HUMAN_ROLE!r}: its tasks wait for a person's "
                   'answer (swarm answer TASK "text", or the dashboard)', err=True)
        sys.exit(EXIT_CANNOT_START)
    if config.store is None and not is_workspace(config.home):
        # Opening the queue would create it: a mistyped --home would make a new, empty
        # workspace that no session ever uses.
        click.echo(f"worker: no swarm workspace at {config.home.absolute()} "
                   '(start one with: swarm run "...")', err=True)
        sys.exit(EXIT_CANNOT_START)
    logging.basicConfig(
        level=os.environ.get("SWARM_LOG_LEVEL", "INFO"),
        format=f"%(asctime)s %(levelname)s [{config.worker_id or config.role}] %(message)s",
    )
    # watchfiles logs every change it sees at INFO: the WAL changes with every commit.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    try:
        registry = SkillRegistry.standard(config.skills_dirs, config.home)
        # The model's settings come from the environment (the supervisor puts them there:
        # an API key must not show in `ps`), else from the workspace's config.toml.
        llm = load_llm_config(config.home, os.environ)
        worker = Worker(config, registry, llm=llm)
        code = asyncio.run(worker.run())
    except DiskFull as exc:
        click.echo(f"worker: {exc}", err=True)
        sys.exit(EXIT_DISK_FULL)
    except SwarmError as exc:
        click.echo(f"worker: {exc}", err=True)
        sys.exit(EXIT_CANNOT_START)
    # Its last line: a slot's log holds one worker after another.
    logger.info("worker %s exits with status %d", worker.id, code)
    return code, worker.stuck_threads
