"""`GET /api/events`: the bus as server-sent events.

Each event's `id:` is the message id, the offset a bus reader keeps; a page that
reconnects sends it back as `Last-Event-ID` and is given every message after it, so it
misses nothing. Messages are read by offset, never from an in-memory fan-out.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable

from taskqueue import MAX_ID, WORKERS_CHANNEL, Message, Store, session_channel

READ_BATCH = 200
# A comment line this often: proxies keep the stream open and a gone client is noticed.
PING_S = 10.0
WAIT_S = 1.0
RETRY_MS = 1000


class BadOffset(ValueError):
    """`Last-Event-ID` or `after` is not a message id."""


def start_offset(last_event_id: str | None, after: str | None) -> int | None:
    """Where to resume: the browser's `Last-Event-ID` wins over the URL's `after`
    (a reconnecting EventSource sends both, and the header is the newer); None: from now."""
    for value in (last_event_id, after):
        if value is None or not value.strip():
            continue
        value = value.strip()
        # isdigit() alone takes '²' and other digits int() refuses: ASCII digits only.
        if not (value.isascii() and value.isdigit()):
            raise BadOffset(f"{value!r} is not a message id")
        if len(value.lstrip("0")) > len(str(MAX_ID)) or int(value) > MAX_ID:
            raise BadOffset(f"{value} is larger than any message id (at most {MAX_ID})")
        return int(value)
    return None


def format_event(message: Message) -> bytes:
    data = json.dumps(message.model_dump(mode="json"), separators=(",", ":"))
    return f"id: {message.id}\ndata: {data}\n\n".encode()


async def event_stream(
    store: Store, session_id: str | None, after: int | None, *,
    stopping: Callable[[], bool] = lambda: False,
) -> AsyncIterator[bytes]:
    """The messages of one session (or of every session) and of the workers, from `after`,
    until `stopping()` (the page reconnects to the next server from its last id)."""
    offset = await store.last_message_id() if after is None else after
    yield f"retry: {RETRY_MS}\n\n".encode()
    last_sent = time.monotonic()
    while not stopping():
        seen = store.news_version
        messages, offset = await read_batch(store, session_id, offset)
        for message in messages:
            yield format_event(message)
            last_sent = time.monotonic()
        if len(messages) >= READ_BATCH:
            continue
        if time.monotonic() - last_sent > PING_S:
            yield b": ping\n\n"
            last_sent = time.monotonic()
        await store.wait_for_news(WAIT_S, seen)


async def read_batch(
    store: Store, session_id: str | None, offset: int
) -> tuple[list[Message], int]:
    """The next messages after `offset`, and the offset to read from next."""
    if session_id is not None:
        messages = await store.read([session_channel(session_id), WORKERS_CHANNEL], offset,
                                    READ_BATCH)
        return messages, messages[-1].id if messages else offset
    # Every session: the channels are known only as sessions are listed, so read up to
    # an id taken before listing them. A session created after it is in the next round,
    # and none of its messages can be older than that id.
    bound = await store.last_message_id()
    channels = [session_channel(s.id) for s in await store.list_sessions()]
    messages = [m for m in await store.read([*channels, WORKERS_CHANNEL], offset, READ_BATCH)
                if m.id <= bound]
    if len(messages) >= READ_BATCH:
        return messages, messages[-1].id
    return messages, max(offset, bound)
