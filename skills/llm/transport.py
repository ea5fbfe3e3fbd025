"""One request to the model server over httpx2, streamed when configured.

Errors come out sorted: `Retryable` for what may pass (timeouts, a dropped or refused
connection, 429, 408 and 5xx, with the server's `Retry-After`), `LLMBadAnswer` for what
will not (another status such as 400, 401, 403, 404 or 422, an answer that is not a chat
completion), `LLMMisconfigured` for a request that cannot even be sent (a URL that is
not http(s), a header that cannot be sent). A refused connection stays retried: a local
server being restarted refuses connections for a moment, and the endpoint stops asking
for `down_for_s` once it could not be reached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2

from skills.llm.answers import ChatResult
from skills.llm.errors import LLMBadAnswer, LLMMisconfigured
from skills.llm.wire import StreamedAnswer, parse_completion, parse_retry_after

__all__ = ["RETRYABLE_STATUS", "OnText", "Retryable", "post_chat"]

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
OnText = Callable[[int], Awaitable[None]]
"""Called as a streamed answer grows, with the characters received so far."""


class Retryable(Exception):
    """This attempt failed in a way that may pass; `retry_after` is the server's wish."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.unreachable = unreachable


async def post_chat(
    client: httpx2.AsyncClient, body: dict[str, Any], *, max_call_s: float,
    on_text: OnText | None = None,
) -> ChatResult:
    """POST `body` to `chat/completions`: the answer (its latency left for the caller)."""
    chars_in = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    try:
        # The client's timeouts bound each wait; this bounds a server that trickles.
        async with asyncio.timeout(max_call_s), client.stream(
                "POST", "chat/completions", json=body) as response:
            if response.status_code != 200:
                raise _refusal(response, await response.aread())
            if "text/event-stream" in response.headers.get("content-type", ""):
                return await _read_stream(response, chars_in, on_text)
            return parse_completion(await response.aread(), chars_in)
    except (httpx2.UnsupportedProtocol, httpx2.LocalProtocolError, httpx2.InvalidURL) as exc:
        raise LLMMisconfigured(f"the request to {client.base_url} cannot be sent "
                               f"({type(exc).__name__}: {exc})") from exc
    except httpx2.DecodingError as exc:
        raise LLMBadAnswer(f"the answer cannot be decoded ({exc})") from exc
    except TimeoutError as exc:
        raise Retryable(f"no complete answer within {max_call_s:g} s") from exc
    except httpx2.TimeoutException as exc:
        raise Retryable(f"the server timed out ({type(exc).__name__})") from exc
    except httpx2.ConnectError as exc:
        raise Retryable(f"cannot connect to {client.base_url} ({exc})", unreachable=True
                        ) from exc
    except httpx2.TransportError as exc:
        raise Retryable(f"the connection failed ({type(exc).__name__}: {exc})") from exc


async def _read_stream(
    response: httpx2.Response, chars_in: int, on_text: OnText | None
) -> ChatResult:
    answer = StreamedAnswer()
    async for line in response.aiter_lines():
        if answer.feed(line) and on_text is not None:
            await on_text(answer.chars)
        if answer.done:
            break
    if not (answer.done or answer.finished):
        raise Retryable("the answer stream ended before the answer did")
    return answer.result(chars_in)


def _refusal(response: httpx2.Response, raw: bytes) -> Exception:
    excerpt = raw[:200].decode("utf-8", "replace").strip() or "(no body)"
    reason = f"HTTP {response.status_code}: {excerpt}"
    if response.status_code in RETRYABLE_STATUS:
        return Retryable(reason, parse_retry_after(response.headers.get("retry-after")))
    return LLMBadAnswer(f"the server refused the request: {reason}")
