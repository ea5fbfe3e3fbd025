"""The chat-completions protocol on the wire: the request body, a whole answer, a
streamed answer (server-sent events), and `Retry-After`.

Local servers differ in small ways (usage missing from streams, `content: null`), so
parsing is lenient where the meaning is clear and strict where it is not.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

from skills.llm.answers import ChatMessage, ChatResult, ToolCall
from skills.llm.config import LLMConfig
from skills.llm.errors import LLMBadAnswer

__all__ = ["DEFAULT_MODEL", "StreamedAnswer", "estimate_tokens", "parse_completion",
           "parse_retry_after", "request_body"]

# Sent when no model is configured: llama.cpp's server serves whatever it loaded.
DEFAULT_MODEL = "default"


def request_body(config: LLMConfig, messages: list[ChatMessage], json_mode: bool,
                 tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON body of one `POST …/chat/completions`; `tools` are function schemas."""
    body: dict[str, Any] = {
        "model": config.model or DEFAULT_MODEL,
        "messages": [dict(m) for m in messages],
        "temperature": config.temperature,
        "stream": config.stream,
    }
    if config.stream:
        body["stream_options"] = {"include_usage": True}
    if config.max_tokens is not None:
        body["max_tokens"] = config.max_tokens
    if json_mode:
        body["response_format"] = {"type": "json_object"}
    if tools:
        body["tools"] = tools
    return body


def estimate_tokens(chars: int) -> int:
    """About four characters a token: for servers that do not report usage."""
    return (chars + 3) // 4


def parse_completion(raw: bytes, messages_chars: int) -> ChatResult:
    """The text, tool calls, tokens in and tokens out of a whole (not streamed) answer."""
    try:
        data = json.loads(raw)
        message = data["choices"][0]["message"]
        text = message.get("content") or ""
        calls = [_whole_call(call, n) for n, call in enumerate(message.get("tool_calls") or [])]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMBadAnswer(f"the server's answer is not a chat completion: {_excerpt(raw)}"
                           ) from exc
    if not isinstance(text, str):
        raise LLMBadAnswer("the server's answer has no text content")
    tokens_in, tokens_out = _usage(data.get("usage"))
    spoken = len(text) + sum(len(c.arguments) for c in calls)
    return ChatResult(text=text, tool_calls=tuple(calls),
                      tokens_in=tokens_in or estimate_tokens(messages_chars),
                      tokens_out=tokens_out or estimate_tokens(spoken))


def _whole_call(call: dict[str, Any], number: int) -> ToolCall:
    function = call["function"]
    arguments = function.get("arguments")
    # Some servers send the arguments as an object rather than as JSON text.
    text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return ToolCall(id=str(call.get("id") or f"call_{number}"), name=str(function["name"]),
                    arguments=text)


class StreamedAnswer:
    """Collects a streamed answer from its `data:` lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.done = False
        self.finished = False
        self.tokens_in = 0
        self.tokens_out = 0
        # Tool calls arrive in pieces, each piece naming the call's index.
        self._calls: dict[int, dict[str, str]] = {}

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def feed(self, line: str) -> bool:
        """Take one line of the event stream; True when it added text."""
        if not line.startswith("data:"):
            return False  # blank separators, comments, `event:` lines
        payload = line[5:].strip()
        if payload == "[DONE]":
            self.done = True
            return False
        try:
            chunk = json.loads(payload)
        except ValueError as exc:
            raise LLMBadAnswer(f"a streamed chunk is not JSON: {payload[:120]!r}") from exc
        if not isinstance(chunk, dict):
            raise LLMBadAnswer(f"a streamed chunk is not an object: {payload[:120]!r}")
        if chunk.get("error"):
            raise LLMBadAnswer(f"the server reported an error: {chunk['error']}")
        if chunk.get("usage"):
            self.tokens_in, self.tokens_out = _usage(chunk["usage"])
        self.finished = self.finished or _finish_reason(chunk) is not None
        self._take_call_pieces(chunk)
        delta = _delta_text(chunk)
        if delta:
            self.parts.append(delta)
            self.chars += len(delta)
        return bool(delta)

    def _take_call_pieces(self, chunk: dict[str, Any]) -> None:
        for piece in _delta_calls(chunk):
            index = piece.get("index", len(self._calls))
            call = self._calls.setdefault(int(index), {"id": "", "name": "", "arguments": ""})
            call["id"] = call["id"] or str(piece.get("id") or "")
            function = piece.get("function") or {}
            call["name"] += str(function.get("name") or "")
            call["arguments"] += str(function.get("arguments") or "")

    def result(self, messages_chars: int) -> ChatResult:
        text = self.text
        calls = tuple(ToolCall(id=c["id"] or f"call_{n}", name=c["name"],
                               arguments=c["arguments"] or "{}")
                      for n, c in sorted(self._calls.items()))
        if any(not c.name for c in calls):
            raise LLMBadAnswer("a streamed tool call has no function name")
        spoken = len(text) + sum(len(c.arguments) for c in calls)
        return ChatResult(text=text, tool_calls=calls,
                          tokens_in=self.tokens_in or estimate_tokens(messages_chars),
                          tokens_out=self.tokens_out or estimate_tokens(spoken))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _delta_text(chunk: dict[str, Any]) -> str:
    try:
        choice = chunk["choices"][0]
    except (KeyError, IndexError, TypeError):
        return ""  # the usage-only last chunk has no choices
    if not isinstance(choice, dict):
        return ""
    delta = choice.get("delta") or choice.get("message") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _delta_calls(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        calls = chunk["choices"][0]["delta"].get("tool_calls")
    except (KeyError, IndexError, TypeError, AttributeError):
        return []
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def _finish_reason(chunk: dict[str, Any]) -> Any:
    try:
        return chunk["choices"][0].get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _usage(usage: Any) -> tuple[int, int]:
    if not isinstance(usage, dict):
        return 0, 0
    tokens_in, tokens_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return (tokens_in if isinstance(tokens_in, int) else 0,
            tokens_out if isinstance(tokens_out, int) else 0)


def _excerpt(raw: bytes) -> str:
    text = raw[:160].decode("utf-8", "replace").strip()
    return repr(text) if text else "(empty)"
