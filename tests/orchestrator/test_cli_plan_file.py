"""`run --plan FILE`: every way a plan file can be wrong is refused before anything is
enqueued, naming the file, the task and the reason."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm

VALID_TASK = '[[tasks]]\nid = "scan"\nrole = "researcher"\nskill = "noop"\n'


def task_count(home: Path) -> int:
    db = home / "swarm.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM tasks").fetchone()[0])


CASES = {
    "bad-toml": ("plan.toml", "[[tasks]\nid = 1", ["not valid TOML"]),
    "bad-json": ("plan.json", '{"tasks": [', ["not valid JSON"]),
    "bad-suffix": ("plan.yaml", "tasks: []", ["must end in .toml or .json"]),
    "no-tasks": ("plan.toml", "tasks = []", ["tasks", "at least 1"]),
    "unknown-key": ("plan.toml", VALID_TASK + "colour = 'red'\n",
                    ["task 'scan'", "colour", "unknown key"]),
    "missing-role": ("plan.toml", '[[tasks]]\nid = "scan"\n', ["task 'scan'", "role", "required"]),
    "bad-priority": ("plan.toml", VALID_TASK + "priority = 'high'\n",
                     ["task 'scan'", "priority", "integer"]),
    "zero-attempts": ("plan.toml", VALID_TASK + "max_attempts = 0\n",
                      ["task 'scan'", "max_attempts"]),
    "negative-timeout": ("plan.toml", VALID_TASK + "timeout_s = -5\n",
                         ["task 'scan'", "timeout_s"]),
    "bad-id": ("plan.toml", '[[tasks]]\nid = "a b"\nrole = "researcher"\n',
               ["task 'a b'", "id"]),
    "duplicate-id": ("plan.toml", VALID_TASK + VALID_TASK, ["task 'scan'", "used by another"]),
    "unknown-dependency": ("plan.toml", VALID_TASK + 'depends_on = ["ghost"]\n',
                           ["task 'scan'", "unknown task 'ghost'"]),
    "self-dependency": ("plan.toml", VALID_TASK + 'depends_on = ["scan"]\n',
                        ["task 'scan'", "depends on itself"]),
    "cycle": ("plan.toml",
              '[[tasks]]\nid = "a"\nrole = "researcher"\nskill = "noop"\ndepends_on = ["b"]\n'
              '[[tasks]]\nid = "b"\nrole = "researcher"\nskill = "noop"\ndepends_on = ["a"]\n',
              ["cycle", "'a'", "'b'"]),
    "unknown-role": ("plan.toml", '[[tasks]]\nid = "scan"\nrole = "astronaut"\nskill = "noop"\n',
                     ["task 'scan'", "unknown role 'astronaut'"]),
    "unknown-skill": ("plan.toml", '[[tasks]]\nid = "scan"\nrole = "researcher"\n'
                      'skill = "divination"\n', ["task 'scan'", "no skill named 'divination'"]),
    "input-not-a-table": ("plan.toml", VALID_TASK + 'input = "query"\n',
                          ["task 'scan'", "input"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_plan_file_is_refused_with_file_task_and_reason(tmp_path: Path, case: str) -> None:
    name, text, fragments = CASES[case]
    plan = tmp_path / name
    plan.write_text(text)
    home = tmp_path / "ws"
    result = swarm("run", "Scan the corpus", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   home=home)
    assert_clean_error(result, str(plan), *fragments)
    assert task_count(home) == 0


def test_missing_plan_file_is_named(tmp_path: Path) -> None:
    plan = tmp_path / "absent.toml"
    result = swarm("run", "Scan", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   home=tmp_path / "ws")
    assert result.returncode == 2
    assert str(plan) in result.stderr or "absent.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_file_with_a_skill_from_a_skills_dir_is_accepted(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    skills.mkdir()
    (skills / "shout.py").write_text(
        "class Shout:\n    def execute(self, text: str) -> str:\n        return text.upper()\n")
    plan = tmp_path / "plan.toml"
    plan.write_text('[[tasks]]\nid = "loud"\nrole = "researcher"\nskill = "shout"\n'
                    '[tasks.input]\ntext = "hello"\n'
                    '[[tasks]]\nid = "end"\nrole = "coordinator"\nskill = "noop"\n'
                    'depends_on = ["loud"]\n')
    home = tmp_path / "ws"
    result = swarm("run", "Shout", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   "--skills-dir", skills, home=home, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    # No report (the plan has its own coordinator that writes none): exit 1, both tasks done.
    assert result.returncode == 1, result.stderr
    session_id = result.stdout.splitlines()[0]
    findings = list((home / "blackboard" / session_id / "findings").glob("shout--t*-a1.md"))
    assert len(findings) == 1
    assert "HELLO" in findings[0].read_text()


def test_plan_file_research_searches_the_session_corpus_and_plan_md_shows_it(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[tasks]]\nid = "leases"\nrole = "researcher"\ntitle = "What is a lease?"\n'
                    '[tasks.input]\nquery = "lease heartbeat expiry"\n')
    home = tmp_path / "ws"
    result = swarm("run", "What is a lease?", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   home=home, timeout=120)
    assert result.returncode == 0, result.stderr
    session_id = result.stdout.splitlines()[0]
    board = home / "blackboard" / session_id
    findings = list((board / "findings").glob("research--t*-a1.md"))
    assert len(findings) == 1
    assert "leases-and-heartbeats.md:" in findings[0].read_text()
    plan_md = (board / "plan.md").read_text()
    assert "leases" in plan_md
    assert "synthesize" in plan_md
