"""The model client's connections on asyncio's own streams, not anyio's.

httpx2 reaches the network through httpcore2, whose default backend is anyio. anyio
yields to the event loop on every send and receive, even when the socket is ready, and
builds a dictionary of socket attributes (a `getpeername` among them) each time the pool
asks an idle connection whether the server closed it. With 64 agents on one loop each
yield is a wait behind every other ready task: a call's two writes and its reads cost
milliseconds. asyncio's streams write at once and read what is buffered without
yielding, and an idle connection's transport knows it was closed.

`transport_on_asyncio` makes an httpx2 transport whose pool uses such streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

__all__ = ["AsyncioBackend", "AsyncioStream", "transport_on_asyncio"]

CLOSE_WAIT_S = 1.0


class AsyncioStream(httpcore2.AsyncNetworkStream):
    """One connection, as httpcore2 reads and writes it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore2.ReadTimeout(f"no answer within {timeout} s") from exc
        except OSError as exc:
            raise httpcore2.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore2.WriteTimeout(f"could not send within {timeout} s") from exc
        except (OSError, RuntimeError) as exc:  # RuntimeError: a transport closed meanwhile
            raise httpcore2.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        self._writer.close()
        # Closed on the loop's next turn (a plain socket) or after TLS's goodbye, which a
        # peer that never answers must not make the pool wait long for.
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            async with asyncio.timeout(CLOSE_WAIT_S):
                await self._writer.wait_closed()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncioStream:
        try:
            await self._writer.start_tls(ssl_context, server_hostname=server_hostname,
                                         ssl_handshake_timeout=timeout)
        except TimeoutError as exc:
            raise httpcore2.ConnectTimeout(f"no TLS handshake within {timeout} s") from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpcore2.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of an idle connection: the server closed it (the transport read the
            # end at once), or sent what it never should have, which ends it as well.
            return self._writer.transport.is_closing() or self._reader.at_eof()
        names = {"ssl_object": "ssl_object", "client_addr": "sockname",
                 "server_addr": "peername", "socket": "socket"}
        return self._writer.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    """Connections opened by asyncio (which sets TCP_NODELAY, as anyio does)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
                          ) -> AsyncioStream:
        local = (local_address, 0) if local_address else None
        return await _connected(asyncio.open_connection(host, port, local_addr=local),
                                timeout, socket_options)

    async def connect_unix_socket(
            self, path: str, timeout: float | None = None,
            socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None) -> AsyncioStream:
        return await _connected(asyncio.open_unix_connection(path), timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(
    opening: Any, limit_s: float | None,
    socket_options: Iterable[httpcore2.SOCKET_OPTION] | None,
) -> AsyncioStream:
    try:
        async with asyncio.timeout(limit_s):
            reader, writer = await opening
    except TimeoutError as exc:
        raise httpcore2.ConnectTimeout(f"no connection within {limit_s} s") from exc
    except OSError as exc:
        raise httpcore2.ConnectError(str(exc)) from exc
    sock: socket.socket = writer.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    return AsyncioStream(reader, writer)


def transport_on_asyncio(tls: ssl.SSLContext, limits: httpx2.Limits
                         ) -> httpx2.AsyncHTTPTransport:
    """An httpx2 transport (HTTP/1.1, no proxy) whose pool connects through
    `AsyncioBackend`. httpx2's transport takes no network backend, so its pool is
    replaced by one made the same way with the backend given (its `_pool`, which
    `tests/skills/llm` checks is the pool it sends through)."""
    transport = httpx2.AsyncHTTPTransport(verify=tls, limits=limits)
    transport._pool = httpcore2.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=AsyncioBackend())
    return transport
