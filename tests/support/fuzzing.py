"""Fuzzing through the public entry points: the `swarm-fuzz` profile, and the check that
after every case the workspace still answers `sessions` and `status`.

The examples are derandomized: CI sees the same cases on every run, and a failure found
once is found again.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from orchestrator import cli
from orchestrator.workspace import Workspace
from taskqueue import SqliteStore

settings.register_profile(
    "swarm-fuzz", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("swarm-fuzz")

# Every code point, control characters included; surrogates, which no encoder takes, come
# rarely from `characters()`, so text with a lone one is drawn on purpose too.
ANY_CHAR = st.characters(codec=None, categories=None)
LONE_SURROGATE = st.builds(lambda before, after: f"{before}\ud800{after}",
                           st.text(max_size=5), st.text(max_size=5))


def any_text(max_size: int) -> st.SearchStrategy[str]:
    return st.one_of(st.text(ANY_CHAR, max_size=max_size), LONE_SURROGATE)


async def create_database(ws: Workspace) -> None:
    store = await ws.open_store()
    await store.close()


def corpus_of(ws: Workspace) -> Path:
    return ws.home.parent / "corpus"


def swarm_cli(ws: Workspace, *args: str) -> tuple[int, str, str]:
    """The real command line in this process: exit status, stdout, stderr. Anything but a
    clean exit (an exception escaping, a traceback printed) fails the test."""
    result = CliRunner().invoke(cli.main, [*args, "--home", str(ws.home)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def assert_workspace_answers(ws: Workspace, session_id: str | None = None) -> None:
    """`swarm sessions` lists every session, and `swarm status` shows the one given."""
    code, out, err = swarm_cli(ws, "sessions", "--json")
    assert code == 0, err
    listed = {s["id"] for s in json.loads(out)}
    if session_id is not None:
        assert session_id in listed
        code, out, err = swarm_cli(ws, "status", session_id, "--json")
        assert code == 0, err
        assert json.loads(out)["session"]["id"] == session_id


async def open_store(ws: Workspace) -> SqliteStore:
    return await ws.open_store(sender="fuzz")
