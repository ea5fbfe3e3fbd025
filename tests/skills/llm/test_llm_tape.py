"""Record and replay: a recorded call is answered from the file, with no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from skills.llm import LLMBadAnswer, LLMConfig, LLMUnavailable, ModelEndpoint
from skills.llm.tape import request_key
from skills.roles import goes_on_when_budget_spent
from support.fake_llm import Answer, FakeModelServer, Malformed, fast_config
from taskqueue import SqliteStore

FIRST = [{"role": "user", "content": "first"}]
SECOND = [{"role": "user", "content": "second"}]


async def test_a_replayed_session_gets_the_recorded_answers_and_errors_without_a_server(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
    tmp_path: Path,
) -> None:
    tape = tmp_path / "tape.jsonl"
    server.script(Answer("one", tokens_in=5, tokens_out=2), Malformed())
    recording = ModelEndpoint(fast_config(server.url, record=tape), store, owner="w",
                              keeps_running=goes_on_when_budget_spent)
    endpoints.append(recording)
    recorded = await recording.complete(FIRST)
    with pytest.raises(LLMBadAnswer) as failed:
        await recording.complete(SECOND, json_mode=True)
    server.stop()

    replaying = ModelEndpoint(LLMConfig(model="fake", replay=tape), store, owner="w",
                              keeps_running=goes_on_when_budget_spent)
    endpoints.append(replaying)

    assert await replaying.complete(FIRST) == recorded
    with pytest.raises(LLMBadAnswer) as replayed:
        await replaying.complete(SECOND, json_mode=True)
    assert str(replayed.value) == str(failed.value)
    assert replayed.value.latency_s == failed.value.latency_s
    with pytest.raises(LLMUnavailable, match="holds no answer"):
        await replaying.complete(SECOND)  # not json_mode: another request


async def test_a_missing_replay_file_fails_each_call_not_the_worker(
    store: SqliteStore, endpoints: list[ModelEndpoint], tmp_path: Path,
) -> None:
    replaying = ModelEndpoint(LLMConfig(replay=tmp_path / "none.jsonl"), store, owner="w",
                              keeps_running=goes_on_when_budget_spent)
    endpoints.append(replaying)

    with pytest.raises(LLMUnavailable, match="cannot be read"):
        await replaying.complete(FIRST)


def test_the_request_key_ignores_how_the_answer_is_streamed() -> None:
    body = {"model": "m", "messages": FIRST, "temperature": 0}

    assert request_key({**body, "stream": True, "stream_options": {"include_usage": True}}) \
        == request_key({**body, "stream": False}) != request_key({**body, "model": "n"})
