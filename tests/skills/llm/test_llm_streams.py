"""The model client's connections on asyncio's streams (`skills/llm/streams.py`), against
real servers on 127.0.0.1: kept alive, reopened when the server closed one, over TLS,
timed out, refused; and a proxy named in the environment still used."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest

from skills.llm import ChatResult, ModelEndpoint
from skills.llm.streams import AsyncioBackend, AsyncioStream, transport_on_asyncio
from skills.roles import goes_on_when_budget_spent
from support.fake_llm import FakeModelServer, fast_config
from taskqueue import SqliteStore

ASK = [{"role": "user", "content": "Hi?"}]
LIMITS = httpx2.Limits(max_connections=4, max_keepalive_connections=4)
ANSWER = json.dumps({"choices": [{"index": 0, "finish_reason": "stop", "message": {
    "role": "assistant", "content": "hello"}}]}).encode()


@dataclass
class RawServer:
    """An HTTP/1.1 server on 127.0.0.1 that answers every request with `ANSWER`; it
    counts connections and the request lines, and closes a connection after
    `answers_per_connection` answers (None: never)."""

    answers_per_connection: int | None = None
    connections: int = 0
    request_lines: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = 0
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.split(b"\r\n")
                self.request_lines.append(lines[0])
                length = next((int(line.split(b":")[1]) for line in lines
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
                await writer.drain()
                answered += 1
                if answered == self.answers_per_connection:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter],
                                   Awaitable[None]],
                  tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on 127.0.0.1 running `handle` per connection; its port. On leaving, the
    connections still open are closed too."""
    writers: list[asyncio.StreamWriter] = []

    async def handling(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await handle(reader, writer)

    server = await asyncio.start_server(handling, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
        await asyncio.sleep(0.05)  # the closes run on the loop's next turns


@asynccontextmanager
async def client(base_url: str, tls: ssl.SSLContext | None = None,
                 timeout_s: float = 10) -> AsyncIterator[httpx2.AsyncClient]:
    context = tls or httpx2.create_ssl_context()
    async with httpx2.AsyncClient(base_url=base_url, timeout=timeout_s,
                                  transport=transport_on_asyncio(context, LIMITS)) as opened:
        yield opened


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts `AsyncioBackend` connected to from now on."""
    made: list[str] = []
    real_connect = AsyncioBackend.connect_tcp

    async def counted(self: AsyncioBackend, host: str, port: int,
                      *args: object, **kwargs: object) -> AsyncioStream:
        made.append(host)
        return await real_connect(self, host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AsyncioBackend, "connect_tcp", counted)
    return made


def endpoint(url: str, store: SqliteStore, opened: list[ModelEndpoint]) -> ModelEndpoint:
    made = ModelEndpoint(fast_config(url), store, owner="w",
                         keeps_running=goes_on_when_budget_spent)
    opened.append(made)
    return made


async def test_the_endpoints_calls_go_through_asyncio_streams(
        server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
        connects: list[str]) -> None:
    answer = await endpoint(server.url, store, endpoints).complete(ASK)

    assert isinstance(answer, ChatResult)
    assert connects == ["127.0.0.1"]


async def test_one_connection_is_kept_alive_for_calls_in_turn(connects: list[str]) -> None:
    raw = RawServer()
    async with serving(raw.handle) as port, client(f"http://127.0.0.1:{port}") as http:
        for _ in range(3):
            assert (await http.post("/v1/chat/completions", json={})).content == ANSWER

    assert raw.connections == 1
    assert connects == ["127.0.0.1"]


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    raw = RawServer(answers_per_connection=1)
    async with serving(raw.handle) as port, client(f"http://127.0.0.1:{port}") as http:
        first = await http.post("/v1/chat/completions", json={})
        await asyncio.sleep(0.1)  # the server has closed it by now
        second = await http.post("/v1/chat/completions", json={})

    assert (first.content, second.content) == (ANSWER, ANSWER)
    assert raw.connections == 2


async def test_calls_over_tls_verify_the_servers_certificate(tmp_path: Path) -> None:
    certificate, key = self_signed(tmp_path)
    serving_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving_tls.load_cert_chain(certificate, key)
    trusting = ssl.create_default_context(cafile=str(certificate))
    raw = RawServer()
    async with serving(raw.handle, serving_tls) as port:
        url = f"https://127.0.0.1:{port}"
        async with client(url, trusting) as http:
            answered = await http.post("/v1/chat/completions", json={})
        async with client(url) as http:
            with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await http.post("/v1/chat/completions", json={})

    assert answered.content == ANSWER


async def test_a_server_that_says_nothing_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    async with serving(silent) as port, \
            client(f"http://127.0.0.1:{port}", timeout_s=0.2) as http:
        with pytest.raises(httpx2.ReadTimeout):
            await http.post("/v1/chat/completions", json={})


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with serving(RawServer().handle) as port:
        pass  # closed: nothing listens there now
    async with client(f"http://127.0.0.1:{port}") as http:
        with pytest.raises(httpx2.ConnectError):
            await http.post("/v1/chat/completions", json={})


async def test_a_proxy_named_in_the_environment_is_used(
        store: SqliteStore, endpoints: list[ModelEndpoint], monkeypatch: pytest.MonkeyPatch,
        connects: list[str]) -> None:
    proxy = RawServer()
    async with serving(proxy.handle) as port:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        answer = await endpoint("http://model.invalid/v1", store, endpoints).complete(ASK)

    assert answer.text == "hello"
    assert proxy.request_lines == [b"POST http://model.invalid/v1/chat/completions HTTP/1.1"]
    assert connects == []


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60)
    return certificate, key
