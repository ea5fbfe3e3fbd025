"""`swarm skills`: every skill found, and each one that failed to load, said once."""

from __future__ import annotations

from pathlib import Path

from support.cli import SAMPLE_CORPUS, swarm
from support.swarm_processes import write_skill

BROKEN = "import no_such_module_anywhere\n"
HELLO = '''
class Hello:
    def execute(self) -> str:
        return "hi"
'''


def test_each_load_failure_is_said_once(tmp_path: Path) -> None:
    skills = tmp_path / "skills-dir"
    write_skill(skills, "broken", BROKEN)
    write_skill(skills, "hello", HELLO)

    result = swarm("skills", "--skills-dir", skills, home=tmp_path / "ws")

    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert output.count("no_such_module_anywhere") == 1, output
    assert "hello" in result.stdout


def test_the_homes_skills_named_relative_too_are_read_once(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    write_skill(home / "skills", "broken", BROKEN)
    write_skill(home / "skills", "hello", HELLO)

    result = swarm("skills", "--skills-dir", "ws/skills", home=home, cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    assert output.count("no_such_module_anywhere") == 1, output
    assert "already defined" not in output


def test_run_reads_the_homes_skills_named_relative_once(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    write_skill(home / "skills", "hello", HELLO)

    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS,
                   "--skills-dir", "ws/skills", home=home, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "already defined" not in result.stderr
