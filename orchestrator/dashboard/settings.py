"""Where the dashboard listens, and the rule that guards anything but loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from taskqueue import SwarmError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MIN_TOKEN_CHARS = 16


class DashboardRefused(SwarmError):
    """The dashboard will not listen as asked."""


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class DashboardSettings(BaseModel):
    """How `swarm dashboard` listens; `token`, when set, is required on every request."""

    model_config = ConfigDict(frozen=True)

    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    token: str | None = None

    @classmethod
    def checked(cls, *, host: str, port: int, token: str | None) -> DashboardSettings:
        """The settings, refused when another machine could reach an unguarded board."""
        host = host.strip()
        if not host:
            raise DashboardRefused("--host: an address is needed, e.g. 127.0.0.1")
        if token is not None and len(token.strip()) < MIN_TOKEN_CHARS:
            raise DashboardRefused(f"--token: use at least {MIN_TOKEN_CHARS} characters, e.g. "
                                   "python -c 'import secrets; print(secrets.token_urlsafe())'")
        if not is_loopback(host) and token is None:
            raise DashboardRefused(
                f"--host {host}: other machines could reach the board and cancel sessions; "
                "listening beyond loopback needs --token TOKEN (or SWARM_DASHBOARD_TOKEN)")
        return cls(host=host, port=port, token=token.strip() if token else None)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def url(self, port: int | None = None) -> str:
        """The address to open; with the token in it when one is set."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address
        base = f"http://{host}:{port if port is not None else self.port}/"
        return f"{base}?token={quote(self.token, safe='')}" if self.token else base
