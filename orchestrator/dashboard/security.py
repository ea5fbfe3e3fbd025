"""What guards the board: the token, the Host header, and forged state changes.

- With a token, every request carries it: a cookie set when the page is first opened with
  `?token=`, or `Authorization: Bearer`. Without one the board listens on loopback only.
- On loopback, the Host header must name loopback: a page whose DNS name was rebound to
  127.0.0.1 reaches the port, but under its own host name, and is refused.
- A state change is a POST carrying `X-Swarm-Request: 1`. A page of another origin cannot
  send a custom header without a CORS preflight, which is never granted; its `Origin`,
  when sent, must be this server's own.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestrator.dashboard.settings import DashboardSettings, is_loopback

TOKEN_COOKIE = "swarm_token"
REQUEST_HEADER = "x-swarm-request"
SAFE_METHODS = frozenset({"GET", "HEAD"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}


class Guard:
    """ASGI middleware that refuses what the module docstring says, before any route."""

    def __init__(self, app: ASGIApp, settings: DashboardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = self.refusal(request) or self.token_landing(request)
        if response is not None:
            await response(scope, receive, _with_headers(send))
            return
        await self.app(scope, receive, _with_headers(send))

    def refusal(self, request: Request) -> Response | None:
        """The response that refuses `request`, or None to let it through."""
        host_error = self._host_error(request)
        if host_error:
            return refuse(request, 403, host_error)
        if not self._has_token(request):
            return refuse(request, 401, "this board needs its token: open the address "
                          "`swarm dashboard` printed (…/?token=…), or send "
                          "'Authorization: Bearer TOKEN'")
        if request.method not in SAFE_METHODS:
            return self._forgery_error(request)
        return None

    def token_landing(self, request: Request) -> Response | None:
        """`GET /?token=T` with the right token: keep it in a cookie, drop it from the URL."""
        given = request.query_params.get("token")
        if (self.settings.token is None or given is None or request.method not in SAFE_METHODS
                or request.url.path.startswith("/api/")):
            return None
        rest = [(k, v) for k, v in parse_qsl(request.url.query) if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, self.settings.token, httponly=True,
                            samesite="strict", path="/")
        return response

    def _host_error(self, request: Request) -> str | None:
        if not self.settings.loopback:
            return None  # the token guards a board that other machines can reach
        name = _host_name(request.headers.get("host", ""))
        if not is_loopback(name):
            return (f"Host {request.headers.get('host', '')!r} is not this machine's loopback "
                    "address: open the board as http://127.0.0.1:PORT/")
        return None

    def _has_token(self, request: Request) -> bool:
        expected = self.settings.token
        if expected is None:
            return True
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        candidates = [request.cookies.get(TOKEN_COOKIE), request.query_params.get("token"),
                      credentials if scheme.lower() == "bearer" else None]
        return any(c is not None and hmac.compare_digest(c.encode(), expected.encode())
                   for c in candidates)

    def _forgery_error(self, request: Request) -> Response | None:
        if request.method != "POST":
            return refuse(request, 405, f"{request.method} is not allowed: changes are POSTs")
        if request.headers.get(REQUEST_HEADER) != "1":
            return refuse(request, 403, "a change needs the header 'X-Swarm-Request: 1' "
                          "(the board's page sends it; a page of another site cannot)")
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin is not None and origin != own:
            return refuse(request, 403, f"a change from origin {origin!r} is refused: only "
                          f"{own!r} may make one")
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return refuse(request, 403, "a change from another site is refused")
        return None


def refuse(request: Request, status: int, reason: str) -> Response:
    """A refusal: JSON for the API, plain text for a person's browser."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": reason}, status_code=status)
    return PlainTextResponse(f"swarm dashboard: {reason}\n", status_code=status)


def _host_name(host: str) -> str:
    """`127.0.0.1:8765` → `127.0.0.1`; `[::1]:8765` → `::1`."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _with_headers(send: Send) -> Send:
    """`send`, adding the security headers to the response's start."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
        await send(message)

    return wrapped


__all__ = ["REQUEST_HEADER", "TOKEN_COOKIE", "Guard", "refuse"]
