"""The most a request body may hold, refused before it is buffered.

A body whose `Content-Length` is over the cap is refused (413) before a byte of it is
read; one sent without a length (chunked) is counted as it arrives and refused as soon as
it grows past the cap, so the server never holds more than the cap of any body.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.dashboard.security import refuse


class BodyTooLarge(Exception):
    """Raised from `receive` when a body without a length grows past the cap."""


class BodyLimit:
    """ASGI middleware: request bodies of at most `max_bytes`, else 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(request, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._counted(receive), send_noting_start)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(request, receive, send)

    def _counted(self, receive: Receive) -> Receive:
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        return counted_receive

    async def _refuse(self, request: Request, receive: Receive, send: Send) -> None:
        response = refuse(request, 413, f"the request body is larger than the "
                          f"{self.max_bytes:,} bytes this board accepts")
        # The client is told to close: the rest of its body is never read.
        response.headers["connection"] = "close"
        await response(request.scope, receive, send)


__all__ = ["BodyLimit", "BodyTooLarge"]
