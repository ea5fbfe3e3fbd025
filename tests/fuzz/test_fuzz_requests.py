"""Fuzzed requests through `check_request`, `prepare` and session creation: a request
either starts a session that `sessions` and `status` show, or is refused with a message."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.requests import MAX_REQUEST_CHARS, check_request
from orchestrator.session_start import RunOptions, create_session, prepare
from orchestrator.workspace import Workspace
from support.fuzzing import ANY_CHAR, FUZZ, assert_workspace_answers, corpus_of, open_store
from taskqueue import SwarmError

requests = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=200),
    # Around the length limit, without generating 20,000 characters one by one.
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", " ", "\n", "ab "]),
              st.integers(MAX_REQUEST_CHARS - 3, MAX_REQUEST_CHARS + 3)),
)


@settings(FUZZ, max_examples=150)
@given(text=requests)
def test_a_request_starts_a_session_or_is_refused_with_a_message(
    workspace: Workspace, text: str
) -> None:
    try:
        request, options = prepare(workspace, workspace.config(), text,
                                   RunOptions(corpus=corpus_of(workspace)))
    except SwarmError as exc:
        refusal = str(exc)
        assert refusal.strip()
        assert_workspace_answers(workspace)
        return
    assert request == check_request(text)
    session_id = asyncio.run(_start(workspace, request, options))
    context = workspace.board(session_id).read("context.md")
    assert request in context.body
    assert_workspace_answers(workspace, session_id)


async def _start(ws: Workspace, request: str, options: RunOptions) -> str:
    store = await open_store(ws)
    try:
        session = await create_session(ws, store, request, options)
        [task] = await store.list_tasks(session.id)
        assert task.input["request"] == request
        return session.id
    finally:
        await store.close()
