"""Every bad input to the command line: one clear line, exit 2, nothing half-created."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm


def session_count(home: Path) -> int:
    db = home / "swarm.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.mark.parametrize(
    ("request_text", "fragment"),
    [
        ("", "the request is empty"),
        ("   \n\t  ", "the request is empty"),
        ("x" * 100_000, "the limit is 20,000"),
        ("find \x07 bells", "control character U+0007"),
        ("hidden\x1b[31m red", "control character U+001B"),
    ],
    ids=["empty", "whitespace", "long", "bell", "escape"],
)
def test_bad_request_is_refused_before_anything_is_created(
    home: Path, request_text: str, fragment: str
) -> None:
    result = swarm("run", request_text, "--corpus", SAMPLE_CORPUS, home=home)
    assert_clean_error(result, fragment)
    assert session_count(home) == 0


def test_one_megabyte_request_on_stdin_is_refused(home: Path) -> None:
    # Linux refuses a single argument over 128 KiB, so a request that large comes as `-`.
    result = swarm("run", "-", "--corpus", SAMPLE_CORPUS, home=home,
                   input_text="why " * 250_000)
    assert_clean_error(result, "999,999 characters long", "the limit is 20,000")
    assert session_count(home) == 0


def test_missing_corpus_is_named(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = swarm("run", "What is a lease?", "--corpus", missing, home=home)
    assert_clean_error(result, "--corpus", str(missing))
    assert session_count(home) == 0


def test_corpus_that_is_a_file_is_refused(home: Path, tmp_path: Path) -> None:
    file = tmp_path / "notes.md"
    file.write_text("a lease is a claim with an expiry\n")
    result = swarm("run", "What is a lease?", "--corpus", file, home=home)
    assert_clean_error(result, "--corpus", str(file))


def test_corpus_without_text_is_refused(home: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "binaries"
    corpus.mkdir()
    (corpus / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    result = swarm("run", "What is a lease?", "--corpus", corpus, home=home)
    assert_clean_error(result, "--corpus", "no text")
    assert session_count(home) == 0


def test_unwritable_workspace_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    home = blocker / "ws"
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, home=home)
    assert_clean_error(result, str(home), "cannot be written")


def test_workspace_that_is_a_file_is_named(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.write_text("oops")
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, home=home)
    assert_clean_error(result, str(home))


def test_database_that_is_not_sqlite_is_named(home: Path) -> None:
    home.mkdir()
    (home / "swarm.db").write_text("this is not a database, it is a note\n")
    result = swarm("sessions", home=home)
    assert_clean_error(result, str(home / "swarm.db"), "not a SQLite database")


@pytest.mark.parametrize(
    ("config_text", "fragments"),
    [
        ("max_attempts = 0\n", ["config.toml", "max_attempts", "greater than or equal to 1"]),
        ("max_atempts = 3\n", ["config.toml", "max_atempts", "unknown key"]),
        ("[roles.researcher]\nworker = 2\n",
         ["config.toml", "roles.researcher.worker", "unknown key"]),
        ("task_timeout_s = 'soon'\n", ["config.toml", "task_timeout_s"]),
        ("this is = not toml [\n", ["config.toml", "not valid TOML"]),
    ],
    ids=["out-of-range", "misspelt-key", "unknown-role-key", "wrong-type", "not-toml"],
)
def test_bad_config_names_file_key_and_reason(
    home: Path, config_text: str, fragments: list[str]
) -> None:
    home.mkdir()
    (home / "config.toml").write_text(config_text)
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, home=home)
    assert_clean_error(result, *fragments)
    assert session_count(home) == 0


def test_bad_workers_option_is_a_usage_error(home: Path) -> None:
    result = swarm("run", "What is a lease?", "--workers", "researcher:3", home=home)
    assert result.returncode == 2
    assert "ROLE=N" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_skills_dir_is_named(home: Path, tmp_path: Path) -> None:
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS,
                   "--skills-dir", tmp_path / "no-skills", home=home)
    assert_clean_error(result, "no-skills", "no such directory")


@pytest.mark.parametrize("command", ["status", "blackboard", "resume", "cancel", "watch"])
def test_unknown_session_is_refused(home: Path, command: str) -> None:
    home.mkdir()
    swarm("sessions", home=home)  # creates the database
    (home / "swarm.db").touch()
    result = swarm(command, "feedbeef", home=home)
    assert_clean_error(result, "feedbeef")


def test_commands_on_a_missing_workspace_say_so(tmp_path: Path) -> None:
    result = swarm("sessions", home=tmp_path / "none")
    assert_clean_error(result, "no swarm workspace", str(tmp_path / "none"))
