"""Fuzzed blackboard paths: a write lands inside the session and reads back the same, or
is refused with a BlackboardError; reading, listing, the tree and `swarm blackboard`
never fail any other way."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from blackboard import Blackboard, BlackboardError, BlackboardFileNotFound
from orchestrator.workspace import Workspace
from support.fuzzing import ANY_CHAR, FUZZ, any_text, assert_workspace_answers, swarm_cli

SEGMENTS = st.one_of(
    st.sampled_from([".", "..", "", "findings", "final", "a", "x.md", ".hidden", " ", "é",
                     "a\nb", "*", "~", ".x.md.0123456789ab.swarm-tmp", "n" * 256, "é" * 128]),
    st.text(ANY_CHAR, max_size=8),
)
PATHS = st.one_of(
    st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join),
    st.lists(SEGMENTS, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts)),
    any_text(20),
)


@pytest.fixture(scope="module")
def session_id(workspace: Workspace) -> str:
    """One session for the module: its blackboard fills up as the cases go."""

    async def create() -> str:
        store = await workspace.open_store(sender="fuzz")
        try:
            return (await store.create_session("fuzzed blackboard paths", {})).id
        finally:
            await store.close()

    created = asyncio.run(create())
    workspace.board(created).create()
    return created


@settings(FUZZ, max_examples=300)
@example(path="n" * 256, text="too long a name")
@example(path="findings/" + "é" * 128, text="too long in bytes")
@given(path=PATHS, text=any_text(40))
def test_a_path_is_written_inside_the_session_or_refused_with_a_message(
    workspace: Workspace, session_id: str, path: str, text: str
) -> None:
    board = workspace.board(session_id)
    try:
        location = board.write(path, text)
    except BlackboardError as exc:
        refusal = str(exc)
        event(f"refused: {type(exc).__name__}")
        assert refusal.strip()
    else:
        event("written")
        assert location.resolve().is_relative_to(board.path.resolve())
        relative = location.relative_to(board.path).as_posix()
        assert board.read(relative).body == text
        assert relative in board.list("")
        code, out, err = swarm_cli(workspace, "blackboard", session_id, relative)
        assert code == 0, err
        assert out == board.read_text(relative)
    _read_any(board, path)
    assert board.tree().startswith(f"{session_id}/")
    code, _, err = swarm_cli(workspace, "blackboard", session_id)
    assert code == 0, err
    assert_workspace_answers(workspace, session_id)


def _read_any(board: Blackboard, path: str) -> None:
    """Reading and listing any path: found, or refused with a message."""
    try:
        board.read(path)
        board.list(path.rpartition("/")[0])
    except BlackboardFileNotFound:
        pass
    except BlackboardError as exc:
        refusal = str(exc)
        assert refusal.strip()
