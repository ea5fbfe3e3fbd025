"""A skill file that exits or hangs at import cannot end or hang the command line."""

from __future__ import annotations

from pathlib import Path

from skills.isolation import CHECK_TIMEOUT_S
from support.cli import assert_clean_error, swarm
from support.swarm_processes import write_skill

FINE = """
    class Fine:
        def execute(self) -> str:
            return "fine"
"""


def skills_dir(tmp_path: Path, source: str) -> tuple[Path, Path]:
    directory = tmp_path / "skills"
    write_skill(directory, "fine", FINE)
    return directory, write_skill(directory, "bad", source)


def test_skills_lists_the_others_and_names_a_file_that_exits_at_import(tmp_path: Path) -> None:
    directory, bad = skills_dir(tmp_path, "import os\nos._exit(42)\n")

    result = swarm("skills", "--skills-dir", directory, home=tmp_path / "ws", timeout=60)

    assert result.returncode == 1, result.stderr
    assert "fine" in result.stdout
    assert f"failed to load: {bad}: exited with status 42 while loading" in (
        result.stderr.splitlines())


def test_skills_names_a_file_that_hangs_at_import_after_its_time_limit(tmp_path: Path) -> None:
    directory, bad = skills_dir(tmp_path, "import time\ntime.sleep(3600)\n")

    result = swarm("skills", "--skills-dir", directory, home=tmp_path / "ws",
                   timeout=CHECK_TIMEOUT_S + 50)

    assert result.returncode == 1, result.stderr
    assert "fine" in result.stdout
    assert f"failed to load: {bad}: took longer than {CHECK_TIMEOUT_S:g} s to load" in (
        result.stderr.splitlines())


def test_run_refuses_a_skill_file_that_exits_at_import_in_one_line(tmp_path: Path) -> None:
    directory, bad = skills_dir(tmp_path, "import os\nos._exit(42)\n")

    result = swarm("run", "How do leases work?", "--skills-dir", directory,
                   "--corpus", tmp_path, home=tmp_path / "ws", timeout=60)

    assert_clean_error(result, f"skill file {bad}: exited with status 42 while loading")
