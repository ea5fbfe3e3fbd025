"""Per-role interpreters: `[roles.NAME] python` runs that role's workers under another
Python; one that cannot run swarm stops `run` at once with one line naming it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm, write_plan

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def home_with(tmp_path: Path, python: Path) -> Path:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[roles.tidy]\nskill = "noop"\npython = "{python}"\n', encoding="utf-8")
    return home


def test_a_roles_workers_run_under_its_own_python(tmp_path: Path) -> None:
    used = tmp_path / "used.log"
    wrapper = tmp_path / "venv-python"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {used}\nexec {sys.executable} "$@"\n',
                       encoding="utf-8")
    wrapper.chmod(0o755)
    plan = write_plan(tmp_path / "plan.toml", [{"id": "t", "role": "tidy"}])
    result = swarm("run", "tidy up", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   home=home_with(tmp_path, wrapper), timeout=240)
    assert result.returncode == 0, (result.stdout, result.stderr)
    calls = used.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("-m worker --role tidy") for line in calls), calls


@pytest.mark.parametrize(("python", "reason"), [
    (Path("/nowhere/bin/python"), "does not exist"),
    (Path("/bin/false"), "cannot import swarm (exit 1)"),
])
def test_a_role_python_that_cannot_run_swarm_is_one_line(
        tmp_path: Path, python: Path, reason: str) -> None:
    plan = write_plan(tmp_path / "plan.toml", [{"id": "t", "role": "tidy"}])
    result = swarm("run", "x", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   home=home_with(tmp_path, python))
    assert_clean_error(result, f"config.toml: roles.tidy.python: {python} {reason}")
