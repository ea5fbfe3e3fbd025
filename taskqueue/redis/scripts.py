"""The Lua scripts every state change runs as, one atomic step each, on the server.

Each script is `lua/prelude.lua` (the shared helpers: the bus, status changes with their
indexes, deciding dependents) followed by its own file. Every call passes the key prefix,
the caller's clock and its name on the bus first, so every host stamps one wall time.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import redis.asyncio as aioredis

from taskqueue.redis.reconnect import Reconnect

SCRIPT_NAMES = (
    "answer", "attempt_note", "board", "bus", "cancel", "claim", "complete", "enqueue", "fail",
    "llm_acquire", "read_tasks", "release", "session", "worker",
)


def _lua(name: str) -> str:
    return resources.files("taskqueue.redis").joinpath("lua", f"{name}.lua").read_text()


def text(value: float) -> str:
    """A number as the scripts keep it: Python's shortest exact repr, never Lua's 14 digits."""
    return repr(float(value))


class Scripts:
    """The scripts registered on one client, run with the prefix, the time and the sender."""

    def __init__(
        self, client: aioredis.Redis, *, prefix: str, sender: str, reconnect: Reconnect
    ) -> None:
        prelude = _lua("prelude")
        self._scripts = {name: client.register_script(f"{prelude}\n{_lua(name)}")
                         for name in SCRIPT_NAMES}
        self._prefix = prefix
        self._sender = sender
        self._reconnect = reconnect

    async def run(
        self, name: str, now: float, *args: str | int, sender: str | None = None
    ) -> Any:
        """Run script `name` at time `now` with its own arguments (its messages sent as
        `sender`, default the store's name); its reply."""
        script = self._scripts[name]
        return await self._reconnect.call(lambda: script(
            keys=[], args=[self._prefix, text(now), sender or self._sender, *args]))
