"""A scripted model server for tests: a real HTTP server on 127.0.0.1 that speaks the
chat-completions protocol (`POST /v1/chat/completions`, streamed or not).

A test decides each answer with a handler (`Request -> Reply`): a normal answer (slow or
streamed in pieces if wanted), an HTTP status with `Retry-After`, a malformed body, a hang,
or death (the server stops listening). `script(...)` plays replies in order; the default
handler `answer_like_a_model` answers each built-in skill's prompt sensibly. The server
counts requests and the most it ever handled at once.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from skills.llm import LLMConfig


@dataclass(frozen=True)
class Call:
    """A tool call within an answer."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = ""


@dataclass(frozen=True)
class Answer:
    """200 with `text` (and `tool_calls`); streamed in `pieces` when the request asks for
    a stream, each call's arguments then split across pieces too."""

    text: str
    tool_calls: tuple[Call, ...] = ()
    delay_s: float = 0.0
    piece_delay_s: float = 0.0
    pieces: int = 4
    tokens_in: int = 11
    tokens_out: int = 7


@dataclass(frozen=True)
class Status:
    """An HTTP error status, with a `Retry-After` header if given."""

    code: int
    retry_after: str | None = None
    body: str = '{"error": {"message": "scripted failure"}}'


@dataclass(frozen=True)
class Malformed:
    """200 with a body that is not a chat completion."""

    body: str = "this is not json"


@dataclass(frozen=True)
class Hang:
    """Say nothing for `seconds`, then drop the connection."""

    seconds: float


@dataclass(frozen=True)
class Die:
    """Drop this connection and stop listening: later requests are refused."""


Reply = Answer | Status | Malformed | Hang | Die


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    index: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def content(self, role: str) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", [])
                         if m.get("role") == role)

    @property
    def system(self) -> str:
        return self.content("system")

    @property
    def user(self) -> str:
        return self.content("user")


Handler = Callable[[Request], Reply]


@dataclass
class FakeModelServer:
    """The server; use as a context manager or call `start()` and `stop()`."""

    handler: Handler = field(default_factory=lambda: answer_like_a_model)
    requests: list[Request] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeModelServer:
        server = _FakeHTTPServer(self)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="fake-llm",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *replies: Reply, then: Handler | None = None) -> None:
        """Answer the next requests with `replies` in order, then with `then` (default:
        the handler in place before)."""
        queue = list(replies)
        after = then or self.handler
        lock = threading.Lock()

        def scripted(request: Request) -> Reply:
            with lock:
                if queue:
                    return queue.pop(0)
            return after(request)

        self.handler = scripted

    def die(self) -> None:
        """Stop listening, from a server thread (shutdown waits for serve_forever)."""
        threading.Thread(target=self.stop, daemon=True).start()

    def count(self, marker: str) -> int:
        """How many requests had `marker` in their system prompt."""
        return sum(1 for r in self.requests if marker in r.system)

    def _arrived(self, body: dict[str, Any], headers: dict[str, str]) -> Request:
        with self._lock:
            request = Request(len(self.requests), body, headers)
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return request

    def _leaving(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hanging reply never holds up the test's end

    def __init__(self, fake: FakeModelServer) -> None:
        super().__init__(("127.0.0.1", 0), _ChatHandler)
        self.fake = fake


class _ChatHandler(BaseHTTPRequestHandler):
    server: _FakeHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass  # quiet: pytest shows stderr of failing tests

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.path.endswith("/chat/completions"):
            self.send_error(404)
            return
        fake = self.server.fake
        request = fake._arrived(body, dict(self.headers.items()))
        left = False
        try:
            left = self._reply(fake.handler(request), body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing to answer
        finally:
            if not left:
                fake._leaving()

    def _reply(self, reply: Reply, body: dict[str, Any]) -> bool:
        """Send the reply; True when the in-flight count was already decreased (just
        before the last bytes, so a client that saw the end sees it decreased)."""
        if isinstance(reply, Die):
            self.server.fake.die()
            self.close_connection = True
            return False
        if isinstance(reply, Hang):
            time.sleep(reply.seconds)
            self.close_connection = True
            return False
        if isinstance(reply, Status):
            headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
            self._send(reply.code, "application/json", reply.body.encode(), headers)
        elif isinstance(reply, Malformed):
            self._send(200, "application/json", reply.body.encode())
        else:
            time.sleep(reply.delay_s)
            if body.get("stream"):
                self._stream(reply, body)
            else:
                self._send(200, "application/json", json.dumps(_completion(reply)).encode())
        return True

    def _send(self, code: int, kind: str, data: bytes,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.server.fake._leaving()
        self.wfile.write(data)

    def _stream(self, reply: Answer, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for piece in _pieces(reply.text, reply.pieces) if reply.text else []:
            self._event({"choices": [{"index": 0, "delta": {"content": piece},
                                      "finish_reason": None}]})
            time.sleep(reply.piece_delay_s)
        for delta in _call_deltas(reply):
            self._event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        finish = "tool_calls" if reply.tool_calls else "stop"
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({"choices": [], "usage": _usage(reply)})
        self.server.fake._leaving()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        self.wfile.flush()


def _pieces(text: str, count: int) -> list[str]:
    size = max(1, -(-len(text) // max(1, count)))
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def _call_id(call: Call, number: int) -> str:
    return call.id or f"call_{number}"


def _call_deltas(reply: Answer) -> list[dict[str, Any]]:
    """Each call as a server streams it: id and name first, then its arguments in pieces."""
    deltas: list[dict[str, Any]] = []
    for number, call in enumerate(reply.tool_calls):
        deltas.append({"tool_calls": [{"index": number, "id": _call_id(call, number),
                                       "type": "function",
                                       "function": {"name": call.name, "arguments": ""}}]})
        for piece in _pieces(json.dumps(call.arguments), reply.pieces):
            deltas.append({"tool_calls": [{"index": number,
                                           "function": {"arguments": piece}}]})
    return deltas


def _usage(reply: Answer) -> dict[str, int]:
    return {"prompt_tokens": reply.tokens_in, "completion_tokens": reply.tokens_out,
            "total_tokens": reply.tokens_in + reply.tokens_out}


def _completion(reply: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": _call_id(call, n), "type": "function",
             "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
            for n, call in enumerate(reply.tool_calls)]
    return {"id": "fake", "object": "chat.completion", "model": "fake",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
            "usage": _usage(reply)}


# What the built-in skills are told they are (first words of their system prompts).
PLANNER, RESEARCHER, ARCHITECT, CRITIC, COORDINATOR = (
    "planner of swarm", "researcher of swarm", "architect of swarm", "critic of swarm",
    "coordinator of swarm")

GOOD_PLAN = {"tasks": [
    {"id": "crashes", "role": "researcher", "title": "How do task queues survive worker crashes?",
     "input": {"question": "How do task queues survive worker crashes?"}},
    {"id": "retries", "role": "researcher", "title": "Compare retries with backoff and leases",
     "input": {"question": "Compare retries with backoff and leases"}},
    {"id": "design", "role": "architect", "title": "Outline the answer",
     "depends_on": ["crashes", "retries"]},
    {"id": "critique", "role": "critic", "title": "Critique the outline",
     "depends_on": ["design"]},
]}


def answer_like_a_model(request: Request) -> Reply:
    """A plausible answer to each built-in skill's prompt, citing passages by number."""
    system = request.system
    if PLANNER in system:
        return Answer(json.dumps(GOOD_PLAN))
    if RESEARCHER in system:
        return Answer("Workers hold leases that expire when they crash [1], and failed "
                      "attempts are retried with backoff [2].")
    if ARCHITECT in system or COORDINATOR in system:
        asked = request.user.split("\n\nThe outline:")[0]
        sections = re.findall(r"^## (\d+)\. (.+)$", asked, flags=re.MULTILINE)
        return Answer("\n\n".join(f"## {n}. {q}\n\n- The passages answer this [1]."
                                  for n, q in sections) or "- Nothing to say [1].")
    if CRITIC in system:
        return Answer("- The outline does not say how long a lease should last.\n"
                      "- It does not weigh retries against duplicates.")
    return Answer("I am a fake model.")


def fast_config(url: str, **settings: Any) -> LLMConfig:
    """Settings for the client under test: quick retries and short timeouts, so that
    failures happen within a test."""
    values: dict[str, Any] = {"base_url": url, "model": "fake", "retry_base_s": 0.01,
                              "retry_max_s": 0.05, "max_retries": 2, "timeout_s": 10.0}
    return LLMConfig.model_validate({**values, **settings})


@contextmanager
def fake_model(handler: Handler | None = None) -> Iterator[FakeModelServer]:
    """A started server, stopped at the end of the block."""
    server = FakeModelServer(handler or answer_like_a_model).start()
    try:
        yield server
    finally:
        server.stop()
