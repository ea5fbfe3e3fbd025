"""The dashboard's routes (docs/interfaces.md, "Dashboard").

Reads come from the store and the blackboard as the CLI reads them; the three actions
(cancel a session, cancel a task, answer a human task) are POSTs behind `Guard`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from blackboard import BlackboardError, BlackboardFileNotFound
from orchestrator.dashboard.events import BadOffset, event_stream, start_offset
from orchestrator.dashboard.limits import BodyLimit
from orchestrator.dashboard.render import markdown, render_file
from orchestrator.dashboard.security import Guard, refuse
from orchestrator.dashboard.settings import DashboardSettings
from orchestrator.dashboard.snapshot import session_view, sessions_view
from orchestrator.dashboard.task_detail import task_detail
from orchestrator.human import MAX_ANSWER_CHARS, AnswerRefused, answer_human_task
from orchestrator.requests import BadInput
from orchestrator.workspace import Workspace
from taskqueue import (
    MAX_ID,
    AmbiguousSession,
    Store,
    SwarmError,
    TaskStatus,
    UnknownSession,
    UnknownTask,
)

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
NO_STORE = {"cache-control": "no-store"}
CANCEL_REASON = "cancelled from the dashboard"
# The largest body a route reads: an answer of MAX_ANSWER_CHARS in UTF-8, with room to spare.
MAX_BODY_BYTES = 4 * MAX_ANSWER_CHARS + 1024

Endpoint = Callable[[Request], Awaitable[Response]]


class Board:
    """What the routes share: the workspace and one store, open while the app runs."""

    def __init__(self, ws: Workspace, on_ready: Callable[[], None] | None = None) -> None:
        self.ws = ws
        self.md = markdown()
        self._on_ready = on_ready
        self._store: Store | None = None
        # Set when the server is asked to stop: event streams end instead of being cut.
        self.stopping = False

    @property
    def store(self) -> Store:
        assert self._store is not None, "the dashboard's store is opened by its lifespan"
        return self._store

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self._store = await self.ws.open_store(sender="dashboard")
        try:
            if self._on_ready is not None:
                self._on_ready()
            yield
        finally:
            await self._store.close()
            self._store = None


def create_app(
    ws: Workspace, settings: DashboardSettings, on_ready: Callable[[], None] | None = None
) -> Starlette:
    """The ASGI app of the board of workspace `ws`; `on_ready` is called once it serves."""
    board = Board(ws, on_ready)
    routes = [
        Route("/", _page(), methods=["GET"]),
        Route("/api/sessions", _bind(board, list_sessions), methods=["GET"]),
        Route("/api/sessions/{session_id}", _bind(board, show_session), methods=["GET"]),
        Route("/api/sessions/{session_id}/blackboard/{path:path}", _bind(board, show_file),
              methods=["GET"]),
        Route("/api/sessions/{session_id}/raw/{path:path}", _bind(board, raw_file),
              methods=["GET"]),
        Route("/api/events", _bind(board, events), methods=["GET"]),
        Route("/api/sessions/{session_id}/cancel", _bind(board, cancel_session),
              methods=["POST"]),
        Route("/api/tasks/{task_id:int}", _bind(board, show_task), methods=["GET"]),
        Route("/api/tasks/{task_id:int}/cancel", _bind(board, cancel_task), methods=["POST"]),
        Route("/api/tasks/{task_id:int}/answer", _bind(board, answer_task), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=board.lifespan,
                    middleware=[Middleware(Guard, settings=settings),
                                Middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)],
                    exception_handlers={SwarmError: _swarm_error})
    app.state.board = board
    return app


def _page() -> Endpoint:
    async def page(_request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=NO_STORE)

    return page


def _bind(board: Board, handler: Callable[[Board, Request], Awaitable[Response]]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await handler(board, request)

    return endpoint


async def list_sessions(board: Board, _request: Request) -> Response:
    return JSONResponse(await sessions_view(board.store), headers=NO_STORE)


async def show_session(board: Board, request: Request) -> Response:
    view = await session_view(board.ws, board.store, request.path_params["session_id"])
    return JSONResponse(view, headers=NO_STORE)


async def show_file(board: Board, request: Request) -> Response:
    session = await board.store.find_session(request.path_params["session_id"])
    # Off the event loop: a big file must not stall every other request while it is read.
    rendered = await asyncio.to_thread(render_file, board.ws.board(session.id),
                                       request.path_params["path"])
    return JSONResponse(rendered, headers=NO_STORE)


async def show_task(board: Board, request: Request) -> Response:
    """An opened card: the task, its agent steps so far and its diff."""
    detail = await task_detail(board.ws, board.store, _task_id(request))
    return JSONResponse(detail, headers=NO_STORE)


async def raw_file(board: Board, request: Request) -> Response:
    """The file whole, as it is on disk, streamed in chunks read off the event loop."""
    session = await board.store.find_session(request.path_params["session_id"])
    location = await asyncio.to_thread(board.ws.board(session.id).locate,
                                       request.path_params["path"])
    return FileResponse(location, media_type="text/plain; charset=utf-8",
                        headers=NO_STORE)


async def events(board: Board, request: Request) -> Response:
    try:
        after = start_offset(request.headers.get("last-event-id"),
                             request.query_params.get("after"))
    except BadOffset as exc:
        return refuse(request, 400, f"cannot resume the event stream: {exc}")
    session_id = request.query_params.get("session")
    if session_id:
        session_id = (await board.store.find_session(session_id)).id
    return StreamingResponse(
        event_stream(board.store, session_id, after, stopping=lambda: board.stopping),
        media_type="text/event-stream",
        headers={**NO_STORE, "x-accel-buffering": "no"})


async def cancel_session(board: Board, request: Request) -> Response:
    session = await board.store.find_session(request.path_params["session_id"])
    count = await board.store.cancel_session(session.id, CANCEL_REASON)
    return JSONResponse({"session": session.id, "cancelled_tasks": count})


async def cancel_task(board: Board, request: Request) -> Response:
    task_id = _task_id(request)
    if await board.store.cancel_task(task_id, CANCEL_REASON):
        return JSONResponse({"task": task_id, "status": TaskStatus.CANCELLED.value})
    task = await board.store.get_task(task_id)
    return refuse(request, 409, f"task {task_id} is already {task.status.value}")


async def answer_task(board: Board, request: Request) -> Response:
    task_id = _task_id(request)
    text = await _answer_text(request)
    if text is None or not text.strip():
        return refuse(request, 400, "send the answer, not blank, as the field 'text' (JSON "
                      f"or a form), at most {MAX_ANSWER_CHARS} characters")
    path = await answer_human_task(board.ws, board.store, task_id, text, source="dashboard")
    return JSONResponse({"task": task_id, "status": TaskStatus.DONE.value, "file": path})


class BadTaskId(SwarmError):
    """A task id in a URL that no task can have."""


def _task_id(request: Request) -> int:
    task_id: int = request.path_params["task_id"]
    if task_id > MAX_ID:
        raise BadTaskId(f"task id {task_id} is out of range (at most {MAX_ID})")
    return task_id


async def _answer_text(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()  # at most MAX_BODY_BYTES: BodyLimit refuses a bigger one
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        text = data.get("text") if isinstance(data, dict) else None
    elif content_type == "application/x-www-form-urlencoded":
        # Parsed here: starlette's form parser needs python-multipart even for this.
        try:
            fields = parse_qs(body.decode(), max_num_fields=20)
        except (ValueError, UnicodeDecodeError):
            return None
        text = fields.get("text", [None])[0]
    else:
        return None
    return text if isinstance(text, str) else None


async def _swarm_error(request: Request, exc: Exception) -> Response:
    """A mistake the CLI would print as one line is a JSON error here, never a 500."""
    if isinstance(exc, UnknownSession | UnknownTask | BlackboardFileNotFound):
        status = 404
    elif isinstance(exc, AnswerRefused):
        status = 409
    elif isinstance(exc, AmbiguousSession | BlackboardError | BadTaskId | BadInput):
        status = 400
    else:
        logger.warning("dashboard request %s failed: %s", request.url.path, exc)
        status = 500
    return refuse(request, status, str(exc))
