"""Arguments the command line refuses in one line with exit 2, before anything is
created: bytes that are not UTF-8, numbers past what SQLite stores, nan seconds, worker
counts and role names config.toml would refuse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestrator import cli
from support.cli import SAMPLE_CORPUS, assert_clean_error, cli_env
from support.dashboard import seed_session
from taskqueue import HUMAN_ROLE, NewTask

HUGE = "99999999999999999999999"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "ws"
    home.mkdir()
    seed_session(home, [NewTask(role=HUMAN_ROLE, title="Ask", input={"question": "ok?"})])
    return home


def invoke(*args: str, home: Path, input_text: str | None = None) -> tuple[int, str]:
    """The command line in this process: exit status and stderr."""
    result = CliRunner().invoke(cli.main, [*args, "--home", str(home)], input=input_text)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def assert_one_line_refusal(code: int, stderr: str, *fragments: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("swarm: error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, stderr)


@pytest.mark.parametrize(("args", "fragments"), [
    (["answer", HUGE, "yes"], ["TASK", HUGE, "out of range"]),
    (["answer", "²", "yes"], ["TASK", "whole number"]),
    (["cancel", "--task", HUGE], ["TASK", HUGE, "out of range"]),
    (["watch", "feed", "--after", HUGE], ["--after", HUGE, "out of range"]),
    (["watch", "feed", "--after", "9" * 5000], ["--after", "out of range"]),
    (["dashboard", "--port", HUGE], ["--port", HUGE]),
], ids=["answer", "answer-superscript", "cancel-task", "watch-after", "watch-after-5000",
        "dashboard-port"])
def test_huge_or_odd_numbers_are_refused_in_one_line(home: Path, args: list[str],
                                                      fragments: list[str]) -> None:
    assert_one_line_refusal(*invoke(*args, home=home), *fragments)


@pytest.mark.parametrize("command", ["run", "resume", "watch"])
@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "0", "-1", "soon"])
def test_timeout_that_is_not_a_finite_positive_number_is_refused(
    home: Path, command: str, seconds: str
) -> None:
    first = "What is a lease?" if command == "run" else "feed"
    code, stderr = invoke(command, first, "--timeout", seconds, home=home)
    assert_one_line_refusal(code, stderr, "--timeout", repr(seconds))


@pytest.mark.parametrize(("value", "fragments"), [
    ("critic=1000", ["--workers", "'critic=1000'", "less than or equal to 256"]),
    ("bad role=1", ["--workers", "'bad role=1'", "use a word"]),
    ("../escape=1", ["--workers", "use a word"]),
    ("researcher=²", ["--workers", "'researcher=²'", "ROLE=N"]),
    ("researcher=" + "9" * 5000, ["--workers", "roles.researcher.workers"]),
    (f"{HUMAN_ROLE}=1", ["--workers", "has no workers"]),
], ids=["too-many", "space", "slash", "superscript", "5000-digits", "human"])
def test_workers_option_is_checked_as_config_toml_is(
    tmp_path: Path, value: str, fragments: list[str]
) -> None:
    home = tmp_path / "fresh"
    code, stderr = invoke("run", "What is a lease?", "--corpus", str(SAMPLE_CORPUS),
                          "--workers", value, home=home)
    assert_one_line_refusal(code, stderr, *fragments)
    assert not home.exists()


def test_workers_option_within_limits_is_taken(tmp_path: Path) -> None:
    from orchestrator.cli_inputs import apply_workers
    from orchestrator.config import SwarmConfig

    config, counts = apply_workers(SwarmConfig(), ("critic=256", "scout=0"))
    assert counts == {"critic": 256, "scout": 0}
    assert config.roles["critic"].workers == 256
    assert config.roles["scout"].workers == 0


@pytest.mark.parametrize(("args", "fragments"), [
    (["status", "7\udcff"], ["SESSION", "'7\\xff'", "not UTF-8"]),
    (["blackboard", "feed", "\udcff"], ["PATH", "not UTF-8"]),
    (["cancel", "--task", "1\udcff"], ["--task", "not UTF-8"]),
    (["answer", "1", "yes\udcff"], ["TEXT", "not UTF-8"]),
    (["run", "x", "--corpus=\udcff"], ["--corpus", "not UTF-8"]),
    (["skills", "--skills-dir", "\udcff"], ["--skills-dir", "not UTF-8"]),
    (["sessions", "--\udcff"], ["not UTF-8"]),
], ids=["status", "blackboard-path", "cancel-task", "answer-text", "run-corpus", "skills-dir",
        "option-name"])
def test_argument_that_is_not_utf8_is_named_and_refused(home: Path, args: list[str],
                                                        fragments: list[str]) -> None:
    assert_one_line_refusal(*invoke(*args, home=home), *fragments)


def test_usage_errors_are_one_line(home: Path) -> None:
    assert_one_line_refusal(*invoke("sessions", "--bogus", home=home), "--bogus")
    assert_one_line_refusal(*invoke("cancel", home=home), "give either a SESSION")


def real_swarm(*args: bytes, cwd: Path, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    argv = [os.fsencode(sys.executable), b"-m", b"orchestrator", *args]
    return subprocess.run(argv, cwd=cwd, env={**cli_env(), **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_home_that_is_not_utf8_creates_nothing(tmp_path: Path) -> None:
    result = real_swarm(b"run", b"What is a lease?", b"--corpus", os.fsencode(SAMPLE_CORPUS),
                        b"--home", os.fsencode(tmp_path) + b"/ws\xff", cwd=tmp_path)
    assert_clean_error(result, "--home", "not UTF-8")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_swarm_home_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    env = cli_env()
    env["SWARM_HOME"] = os.fsdecode(os.fsencode(tmp_path) + b"/ws\xff")
    result = subprocess.run([sys.executable, "-m", "orchestrator", "sessions"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert_clean_error(result, "workspace", "not UTF-8")
    assert list(tmp_path.iterdir()) == []


def test_real_argv_status_with_a_byte_that_is_not_utf8(home: Path) -> None:
    result = real_swarm(b"status", b"7\xff", b"--home", os.fsencode(home), cwd=home)
    assert_clean_error(result, "SESSION", "'7\\xff'", "not UTF-8")


def test_real_argv_answer_with_a_huge_task_id(home: Path) -> None:
    result = real_swarm(b"answer", HUGE.encode(), b"yes", b"--home", os.fsencode(home),
                        cwd=home)
    assert_clean_error(result, "TASK", "out of range")
