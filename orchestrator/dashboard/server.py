"""`swarm dashboard`: the board served by uvicorn until Ctrl-C."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from types import FrameType

import click
import uvicorn

from orchestrator.dashboard.app import create_app
from orchestrator.dashboard.settings import DashboardSettings
from orchestrator.workspace import Workspace
from taskqueue import SwarmError

# Open event streams end within a second of a stop; this is the most they get.
GRACEFUL_STOP_S = 5


class BoardServer(uvicorn.Server):
    """uvicorn's server, telling the board's event streams when it is asked to stop."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_exit()
        super().handle_exit(sig, frame)


def listen(settings: DashboardSettings) -> socket.socket:
    """The listening socket, bound here so that a taken port is one clear error."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        return socket.create_server((settings.host.strip("[]"), settings.port), family=family)
    except OSError as exc:
        raise SwarmError(f"cannot listen on {settings.host}:{settings.port}: "
                         f"{exc.strerror or exc}") from exc


def serve(ws: Workspace, settings: DashboardSettings) -> None:
    """Serve the board of `ws`; prints its address once it is ready."""
    ws.ensure_writable()
    # Opened once before serving: a database that cannot be used is one line and exit 2
    # here, not a traceback from the server's lifespan.
    asyncio.run(_check_store(ws))
    sock = listen(settings)

    def announce() -> None:
        port = sock.getsockname()[1]
        click.echo(f"swarm dashboard: {settings.url(port)}  (Ctrl-C stops it)")

    app = create_app(ws, settings, announce)
    board = app.state.board
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=GRACEFUL_STOP_S, lifespan="on")
    asyncio.run(BoardServer(config, lambda: setattr(board, "stopping", True))
                .serve(sockets=[sock]))


async def _check_store(ws: Workspace) -> None:
    store = await ws.open_store(sender="dashboard")
    await store.close()
