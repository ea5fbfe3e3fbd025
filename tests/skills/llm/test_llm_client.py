"""The client against a real HTTP server: answers, streaming, 429 and 5xx with
`Retry-After`, timeouts, malformed answers, an unreachable server."""

from __future__ import annotations

import time

import pytest

from skills.llm import LLMBadAnswer, LLMConfig, LLMUnavailable, ModelEndpoint
from skills.llm.endpoint import connections_kept
from skills.roles import goes_on_when_budget_spent
from support.fake_llm import Answer, FakeModelServer, Hang, Malformed, Status, fast_config
from taskqueue import SqliteStore

ASK = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi?"}]


def endpoint(config: LLMConfig, store: SqliteStore, opened: list[ModelEndpoint]
             ) -> ModelEndpoint:
    made = ModelEndpoint(config, store, owner="test-worker",
                         keeps_running=goes_on_when_budget_spent)
    opened.append(made)
    return made


async def test_whole_answer_comes_back_with_the_tokens_the_server_counted(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Answer("Hello there.", tokens_in=21, tokens_out=3))
    model = endpoint(fast_config(server.url, stream=False), store, endpoints)

    result = await model.complete(ASK, json_mode=True)

    assert (result.text, result.tokens_in, result.tokens_out) == ("Hello there.", 21, 3)
    assert result.latency_s > 0
    [request] = server.requests
    assert request.body["model"] == "fake"
    assert request.body["messages"] == ASK
    assert request.body["temperature"] == 0
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.body["stream"] is False


async def test_streamed_answer_is_assembled_and_reported_while_it_grows(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    text = "Leases expire when a worker dies; the task is then claimed again. " * 3
    server.script(Answer(text, pieces=6, piece_delay_s=0.05, tokens_in=40, tokens_out=30))
    model = endpoint(fast_config(server.url), store, endpoints)
    grown: list[int] = []

    async def on_text(chars: int) -> None:
        grown.append(chars)

    result = await model.complete(ASK, on_text=on_text)

    assert result.text == text
    assert (result.tokens_in, result.tokens_out) == (40, 30)
    assert server.requests[0].body["stream"] is True
    assert len(grown) == 6
    assert grown == sorted(grown)
    assert grown[-1] == len(text)


async def test_429_is_retried_after_exactly_what_retry_after_asks(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Status(429, retry_after="1"), Answer("finally"))
    model = endpoint(fast_config(server.url, retry_base_s=0.001), store, endpoints)

    started = time.monotonic()
    result = await model.complete(ASK)

    assert result.text == "finally"
    assert len(server.requests) == 2
    # The backoff alone would have waited a millisecond.
    assert time.monotonic() - started >= 0.95


async def test_5xx_is_retried_with_backoff_and_honours_retry_after(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Status(500), Status(503, retry_after="1"), Answer("up again"))
    model = endpoint(fast_config(server.url, retry_base_s=0.001), store, endpoints)

    started = time.monotonic()
    result = await model.complete(ASK)

    assert result.text == "up again"
    assert len(server.requests) == 3
    assert time.monotonic() - started >= 0.95


async def test_a_server_that_keeps_failing_is_unavailable_after_the_retries(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(*[Status(500)] * 5)
    model = endpoint(fast_config(server.url, max_retries=2), store, endpoints)

    with pytest.raises(LLMUnavailable, match=r"HTTP 500.*after 3 attempts") as raised:
        await model.complete(ASK)

    assert len(server.requests) == 3
    assert raised.value.latency_s > 0


async def test_retry_after_beyond_the_limit_gives_up_at_once(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Status(429, retry_after="3600"))
    model = endpoint(fast_config(server.url, max_retry_after_s=60), store, endpoints)

    with pytest.raises(LLMUnavailable, match="asks to wait 3600 s"):
        await model.complete(ASK)
    assert len(server.requests) == 1


async def test_a_silent_server_times_out_on_every_attempt(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Hang(30), Hang(30))
    model = endpoint(fast_config(server.url, timeout_s=0.3, max_retries=1), store, endpoints)

    with pytest.raises(LLMUnavailable, match=r"timed out.*after 2 attempts"):
        await model.complete(ASK)
    assert len(server.requests) == 2


async def test_an_answer_that_trickles_past_the_call_limit_times_out(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Answer("x" * 100, pieces=50, piece_delay_s=0.1))
    model = endpoint(fast_config(server.url, max_call_s=0.5, max_retries=0), store, endpoints)

    with pytest.raises(LLMUnavailable, match=r"no complete answer within 0.5 s"):
        await model.complete(ASK)


@pytest.mark.parametrize("stream", [False, True])
async def test_a_malformed_answer_is_refused_without_retrying(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint], stream: bool,
) -> None:
    server.script(Malformed('{"choices": "nope"'))
    model = endpoint(fast_config(server.url, stream=stream), store, endpoints)

    with pytest.raises(LLMBadAnswer, match="not a chat completion"):
        await model.complete(ASK)
    assert len(server.requests) == 1


async def test_a_refused_request_is_not_retried(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Status(404, body='{"error": "model not found"}'))
    model = endpoint(fast_config(server.url), store, endpoints)

    with pytest.raises(LLMBadAnswer, match=r"HTTP 404.*model not found"):
        await model.complete(ASK)
    assert len(server.requests) == 1


async def test_an_unreachable_server_is_not_asked_again_for_a_while(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    url = server.url
    server.stop()
    model = endpoint(fast_config(url, max_retries=1, down_for_s=60), store, endpoints)

    with pytest.raises(LLMUnavailable, match="cannot connect"):
        await model.complete(ASK)
    with pytest.raises(LLMUnavailable, match="could not be reached moments ago"):
        await model.complete(ASK)



@pytest.mark.parametrize(("max_concurrent", "kept"), [(None, 100), (2, 2), (300, 300)])
def test_a_connection_is_kept_for_every_call_that_may_run_at_once(
    max_concurrent: int | None, kept: int,
) -> None:
    """httpx keeps 20 idle connections by default: past 20 calls at once, every call would
    close one and open another."""
    assert connections_kept(LLMConfig(max_concurrent=max_concurrent)) == kept
