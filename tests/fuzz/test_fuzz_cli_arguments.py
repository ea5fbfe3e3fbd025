"""Every command and every board route, fed bytes that are not UTF-8 and numbers past
any id in each argument: one line and exit 2 from the command line, a 4xx from the
board, never a traceback or a 500."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from orchestrator import cli
from orchestrator.dashboard.app import create_app
from orchestrator.dashboard.settings import DashboardSettings
from orchestrator.workspace import STORE_ENV, Workspace
from support.cli import cli_env
from support.dashboard import CHANGE, ORIGIN
from support.fuzzing import FUZZ

# Each command with one slot, `{}`, for the bad value; the other arguments are valid, so
# that only the bad one can be refused (and `run` never gets as far as starting workers).
TEXT_SLOTS = [
    ["sessions", "--home", "{}"],
    ["status", "{}"], ["status", "feed", "--home", "{}"],
    ["blackboard", "{}"], ["blackboard", "feed", "{}"],
    ["watch", "{}"], ["watch", "feed", "--after", "{}"], ["watch", "feed", "--timeout", "{}"],
    ["resume", "{}"], ["resume", "feed", "--timeout", "{}"],
    ["cancel", "{}"], ["cancel", "--task", "{}"],
    ["answer", "{}", "yes"], ["answer", "1", "{}"],
    ["workers", "--home", "{}"],
    ["skills", "--skills-dir", "{}"],
    ["run", "{}"], ["run", "x", "--corpus", "{}"], ["run", "x", "--plan", "{}"],
    ["run", "x", "--workers", "{}"], ["run", "x", "--workers", "r={}"],
    ["run", "x", "--timeout", "{}"],
    ["dashboard", "--port", "{}"], ["dashboard", "--host", "{}"], ["dashboard", "--token", "{}"],
    ["serve", "--workers", "{}"], ["serve", "--workers", "r={}"], ["serve", "--skills-dir", "{}"],
    ["--store", "{}", "sessions"],
]
NUMBER_SLOTS = [
    ["answer", "{}", "yes"], ["cancel", "--task", "{}"], ["watch", "feed", "--after", "{}"],
    ["run", "x", "--workers", "r={}"], ["dashboard", "--port", "{}"],
    ["serve", "--workers", "r={}"],
]
NOT_UTF8 = st.builds(lambda before, byte, after: f"{before}{chr(0xDC00 + byte)}{after}",
                     st.text(st.characters(codec="ascii"), max_size=4),
                     st.integers(0x80, 0xFF), st.text(max_size=4))
HUGE = st.integers(2**63, 10**40).map(str)


def refused_in_one_line(ws: Workspace, argv: list[str]) -> None:
    # `--store` is handed on to child processes in $SWARM_STORE: unset again after each.
    result = CliRunner(env={STORE_ENV: None}).invoke(cli.main, [*argv, "--home", str(ws.home)]
                                if "--home" not in argv else argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 2, (argv, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("template", TEXT_SLOTS, ids=lambda t: " ".join(t))
@FUZZ
@given(value=NOT_UTF8)
def test_each_argument_not_utf8_is_refused(workspace: Workspace, template: list[str],
                                           value: str) -> None:
    refused_in_one_line(workspace, [part.replace("{}", value) for part in template])


@pytest.mark.parametrize("template", NUMBER_SLOTS, ids=lambda t: " ".join(t))
@FUZZ
@given(value=HUGE)
def test_each_number_past_any_id_is_refused(workspace: Workspace, template: list[str],
                                            value: str) -> None:
    refused_in_one_line(workspace, [part.replace("{}", value) for part in template])


@pytest.mark.parametrize("argv", [[b"status", b"7\xff"], [b"--home\xff"], [b"st\xffatus"],
                                  [b"answer", b"9" * 30, b"x"]], ids=str)
def test_real_argv_is_refused_in_one_line(workspace: Workspace, argv: list[bytes]) -> None:
    result = subprocess.run([os.fsencode(sys.executable), b"-m", b"orchestrator", *argv,
                             b"--home", os.fsencode(workspace.home)], env=cli_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def client(workspace: Workspace) -> Iterator[TestClient]:
    app = create_app(workspace, DashboardSettings(port=8765))
    with TestClient(app, base_url=ORIGIN) as test_client:
        yield test_client


ROUTES = [("GET", "/api/sessions/{}"), ("GET", "/api/sessions/feed/blackboard/{}"),
          ("GET", "/api/sessions/feed/raw/{}"), ("GET", "/api/events?after={}"),
          ("GET", "/api/events?session={}"), ("POST", "/api/sessions/{}/cancel"),
          ("POST", "/api/tasks/{}/cancel"), ("POST", "/api/tasks/{}/answer")]
BAD_URL_PARTS = st.one_of(
    HUGE, st.integers(0x80, 0xFF).map(lambda byte: f"%{byte:02X}"),
    st.sampled_from(["%C2%B2", "%00", "..", "%2e%2e", "-1", "%FF%FE", "1e999"]))


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[r for _, r in ROUTES])
@FUZZ
@given(part=BAD_URL_PARTS)
def test_each_route_answers_bad_parts_with_a_4xx(client: TestClient, method: str, route: str,
                                                 part: str) -> None:
    response = client.request(method, route.replace("{}", part), headers=CHANGE,
                              json={"text": "yes"} if method == "POST" else None)
    assert 400 <= response.status_code < 500, (route, part, response.status_code,
                                               response.text)
