"""Trying a request again: exponential backoff with jitter, or exactly as long as the
server asked (`Retry-After`), up to `max_retries` more attempts."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from skills.llm.config import LLMConfig
from skills.llm.errors import LLMUnavailable
from skills.llm.transport import Retryable
from taskqueue import backoff_s

__all__ = ["with_retries"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


async def with_retries(
    attempt: Callable[[], Awaitable[T]], config: LLMConfig, *,
    sleep: Sleep = asyncio.sleep, rng: Callable[[], float] = random.random,
) -> T:
    """`attempt()`, again after each `Retryable` failure while retries are left.

    Raises `LLMUnavailable` naming the last failure; its `unreachable` is true when the
    server could not even be connected to.
    """
    for retry in range(config.max_retries + 1):
        try:
            return await attempt()
        except Retryable as exc:
            last = exc
            if retry == config.max_retries:
                break
            # Retries spread out (jitter) so that processes that failed together do not
            # retry together.
            wait = exc.retry_after if exc.retry_after is not None else backoff_s(
                retry + 1, config.retry_base_s, config.retry_max_s, rng())
            if wait > config.max_retry_after_s:
                raise _unavailable(f"{exc}; the server asks to wait {wait:g} s, more than "
                                   f"{config.max_retry_after_s:g} s", exc) from exc
            logger.info("model request failed (%s); retrying in %.2f s", exc, wait)
            await sleep(wait)
    attempts = config.max_retries + 1
    raise _unavailable(f"{last} (after {attempts} attempt{'s' if attempts > 1 else ''})",
                       last) from last


def _unavailable(message: str, cause: Retryable) -> LLMUnavailable:
    error = LLMUnavailable(message)
    error.unreachable = cause.unreachable
    return error
