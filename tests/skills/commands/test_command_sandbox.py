"""The bubblewrap sandbox: a program writes only in its worktree and reaches no network;
escape attempts fail. Asked for and missing, the sandbox is refused, never skipped."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

import pytest

from skills import SkillRegistry
from skills.errors import Fail, SkillLoadError
from skills.workspace_skills import parse_workspace_skills
from tests.skills.commands.conftest import FAKE_CODER, REPO_ROOT, CommandHarness

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="bubblewrap is installed by .ci/run")]

ESCAPE = """
import socket, sys
port = int(sys.argv[1])
for target in sys.argv[2:]:
    try:
        open(target, "w").write("escaped")
        print("WROTE " + "OUTSIDE", target)
    except OSError as exc:
        print("write refused:", exc.strerror)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2)
    print("CONN" + "ECTED")
except OSError as exc:
    print("connect refused:", exc.strerror or exc)
open("inside.txt", "w").write("fine")
"""


async def test_escape_attempts_from_the_sandbox_fail(commands: CommandHarness) -> None:
    # The user's checkout and the project's own directory: both read-only.
    targets = [commands.repo / "escaped.txt", REPO_ROOT / ".sandbox-escape-attempt"]
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        task, _result = await commands.run(
            {"command": [sys.executable, "-c", ESCAPE, str(port), *map(str, targets)],
             "workdir": "worktree", "sandbox": "bwrap"},
            {"repo": str(commands.repo)})
    log = commands.read(f"logs/task-{task.id}.md")
    assert log.count("write refused: Read-only file system") == 2
    assert "connect refused:" in log
    assert "WROTE OUTSIDE" not in log
    assert "CONNECTED" not in log
    assert not any(target.exists() for target in targets)
    assert "+++ b/inside.txt" in commands.read(f"patches/task-{task.id}.diff")


async def test_a_sandboxed_coding_cli_still_edits_its_worktree(
        commands: CommandHarness) -> None:
    _task, result = await commands.run(
        {"command": [sys.executable, str(FAKE_CODER), "{prompt}"], "workdir": "worktree",
         "sandbox": "bwrap"}, {"prompt": "greet", "repo": str(commands.repo)})
    assert result.data["files_changed"] == 2


def test_a_sandbox_without_bwrap_is_refused_in_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    configured = parse_workspace_skills(
        {"skills": {"coder": {"command": ["x"], "sandbox": "bwrap"}}}, "ws/config.toml")
    with pytest.raises(SkillLoadError) as caught:
        SkillRegistry().add_configured(configured)
    assert str(caught.value) == (
        'ws/config.toml: skills.coder.sandbox: sandbox = "bwrap" needs bubblewrap, which is '
        "not installed (apt-get install bubblewrap); refusing to run unsandboxed")


async def test_a_sandbox_lost_after_start_refuses_to_run(
        commands: CommandHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("skills.commands.skill.bwrap_missing", lambda: "no bwrap here")
    with pytest.raises(Fail, match="no bwrap here"):
        await commands.run({"command": ["true"], "sandbox": "bwrap"}, {})
