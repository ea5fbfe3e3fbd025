"""The client: `ModelEndpoint` for one worker process, `TaskModel` for one task (`ctx.llm`).

The endpoint owns the HTTP connection pool, the workspace's shared limits and the
record/replay tape. A task's view adds what belongs to the session: the token budget,
usage recorded per task, and progress notes while a long answer streams in.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.request import getproxies

import httpx2

from skills.llm import budget
from skills.llm.answers import ChatMessage, ChatResult
from skills.llm.config import LLMConfig
from skills.llm.errors import LLMError, LLMMisconfigured, LLMUnavailable
from skills.llm.lanes import Lanes
from skills.llm.limits import CallSlots, CallUsage
from skills.llm.retries import with_retries
from skills.llm.streams import transport_on_asyncio
from skills.llm.tape import Recorder, Replayer, request_key
from skills.llm.transport import OnText, post_chat
from skills.llm.wire import DEFAULT_MODEL, request_body
from taskqueue import SessionUsage, Store, Task

__all__ = ["ModelEndpoint", "ProgressNote", "TaskModel"]

logger = logging.getLogger(__name__)

ProgressNote = Callable[[str], Awaitable[None]]
# A streamed answer is reported on the bus at most this often.
PROGRESS_EVERY_S = 1.0
# Connections kept to the model server when no call limit says how many calls run at once.
DEFAULT_POOL = 100


def connections_kept(config: LLMConfig) -> int:
    """A connection for every call that may run at once (the call limit holds across
    every process, so one process never runs more): past the pool's idle limit (20 by
    default in httpx), every call would close a connection and open another."""
    return config.max_concurrent or DEFAULT_POOL


class ModelEndpoint:
    """The model server as one process uses it; `keeps_running` says which tasks go on
    offline when a session's token budget is spent (the others are cancelled)."""

    def __init__(self, config: LLMConfig, store: Store, *, owner: str,
                 keeps_running: budget.KeepsRunning,
                 rng: Callable[[], float] = random.random) -> None:
        self.config = config
        self.keeps_running = keeps_running
        self._store = store
        self._lanes: Lanes | None = None
        self._rng = rng
        self._slots = CallSlots(store, config, owner)
        self._recorder = Recorder(config.record) if config.record else None
        self._replayer = Replayer(config.replay) if config.replay else None
        # Until then the server is taken to be down: calls fail at once.
        self._down_until = 0.0

    @property
    def model_name(self) -> str:
        return self.config.model or DEFAULT_MODEL

    def for_task(self, task: Task, progress: ProgressNote | None = None) -> TaskModel:
        return TaskModel(self, self._store, task, progress)

    async def complete(self, messages: list[ChatMessage], *, json_mode: bool = False,
                       tools: list[dict[str, Any]] | None = None,
                       on_text: OnText | None = None, task: Task | None = None) -> ChatResult:
        """One chat call, retried as configured, recorded or replayed. An answered call
        for `task` is counted in its session's usage (with the slot given back, in one
        write); the caller counts a call that failed."""
        body = request_body(self.config, messages, json_mode, tools)
        key = request_key(body)
        if self._replayer is not None:
            result = self._replayer.answer(key)
            if task is not None:
                await self._store.record_llm_usage(task.session_id, task.id, result.tokens_in,
                                                   result.tokens_out, result.latency_s, True)
            return result
        started = time.monotonic()
        try:
            result = await self._call(body, on_text, started, task)
        except LLMError as exc:
            exc.latency_s = time.monotonic() - started
            await self._record(key, body, None, exc)
            raise
        await self._record(key, body, result, None)
        return result

    async def _call(self, body: dict[str, Any], on_text: OnText | None, started: float,
                    task: Task | None) -> ChatResult:
        if time.monotonic() < self._down_until:
            raise LLMUnavailable(f"the model server at {self.config.base_url} could not be "
                                 "reached moments ago; not asking again yet")
        lanes = self._connections()

        async def attempt() -> ChatResult:
            async with self._slots.slot() as held, lanes.client() as http:
                answer = await post_chat(http, body, max_call_s=self.config.max_call_s,
                                         on_text=on_text)
                # An answer ends the call (no retry follows): count it as the slot goes back.
                result = answer.model_copy(update={"latency_s": time.monotonic() - started})
                if task is not None:
                    held.usage = CallUsage(task.session_id, task.id, result.tokens_in,
                                           result.tokens_out, result.latency_s, True)
                return result

        try:
            return await with_retries(attempt, self.config, rng=self._rng)
        except LLMUnavailable as exc:
            if exc.unreachable:
                self._down_until = time.monotonic() + self.config.down_for_s
            raise

    def _connections(self) -> Lanes:
        if self._lanes is None:
            base_url = self.config.base_url
            if not base_url:
                raise LLMUnavailable("no model server is configured (SWARM_LLM_BASE_URL)")
            # One TLS context for every pool: making one reads the system's certificates.
            tls = httpx2.create_ssl_context()
            self._lanes = Lanes(partial(self._open_pool, base_url, tls),
                                connections_kept(self.config))
        return self._lanes

    def _open_pool(self, base_url: str, tls: ssl.SSLContext, size: int) -> httpx2.AsyncClient:
        headers = ({"Authorization": f"Bearer {self.config.api_key}"}
                   if self.config.api_key else {})
        limits = httpx2.Limits(max_connections=size, max_keepalive_connections=size)
        # A proxy named in the environment is honoured by httpx2's own transport only.
        transport = None if getproxies() else transport_on_asyncio(tls, limits)
        try:
            return httpx2.AsyncClient(
                base_url=base_url, headers=headers, verify=tls,
                timeout=httpx2.Timeout(self.config.timeout_s), limits=limits,
                transport=transport)
        except httpx2.InvalidURL as exc:
            raise LLMMisconfigured(f"base_url {base_url!r}: {exc}") from exc

    async def _record(self, key: str, body: dict[str, Any], result: ChatResult | None,
                      error: LLMError | None) -> None:
        if self._recorder is not None:
            await asyncio.to_thread(self._recorder.write, key, body, result, error)

    async def close(self) -> None:
        if self._lanes is not None:
            await self._lanes.aclose()
            self._lanes = None


class TaskModel:
    """`ctx.llm`: the endpoint, bound to one task of one session."""

    def __init__(self, endpoint: ModelEndpoint, store: Store, task: Task,
                 progress: ProgressNote | None) -> None:
        self._endpoint = endpoint
        self._store = store
        self._task = task
        self._progress = progress
        self._reported_at = 0.0

    @property
    def model_name(self) -> str:
        return self._endpoint.model_name

    async def chat(self, messages: list[ChatMessage], *, json_mode: bool = False,
                   tools: list[dict[str, Any]] | None = None) -> ChatResult:
        """Ask the model. Raises an `LLMError` when no usable answer came (the skill
        falls back offline), `BudgetStop` when the budget is spent and this task was
        cancelled for it. Every call, answered or not, is counted in the usage."""
        limit = self._endpoint.config.session_token_budget
        keeps_running = self._endpoint.keeps_running
        await budget.before_call(self._store, self._task, limit, keeps_running)
        try:
            result = await self._endpoint.complete(messages, json_mode=json_mode, tools=tools,
                                                   on_text=self._streamed, task=self._task)
        except LLMError as exc:
            await self._store.record_llm_usage(self._task.session_id, self._task.id, 0, 0,
                                               exc.latency_s, False)
            raise
        await budget.after_call(self._store, self._task, limit, keeps_running)
        return result

    async def session_usage(self) -> SessionUsage:
        return await self._store.llm_usage(self._task.session_id)

    async def _streamed(self, chars: int) -> None:
        now = time.monotonic()
        if self._progress is None or now - self._reported_at < PROGRESS_EVERY_S:
            return
        self._reported_at = now
        try:
            await self._progress(f"the model is answering: {chars} characters so far")
        except Exception:
            logger.debug("progress report failed", exc_info=True)
