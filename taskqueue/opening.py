"""Opening a store from a URL: the one place that names a backend.

`sqlite:///path` (a workspace's default, `queue_path`), `redis://host:port/db` and
`rediss://...` (TLS). A Redis password comes from the URL or `SWARM_STORE_PASSWORD`.
Each backend is imported only when its URL is opened, so `import taskqueue` stays light.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from taskqueue.errors import StoreError
from taskqueue.retry import RetryPolicy
from taskqueue.store import Store
from taskqueue.workspace import queue_path

PASSWORD_ENV = "SWARM_STORE_PASSWORD"
_REDIS_SCHEMES = ("redis", "rediss")


class StoreUrlError(StoreError):
    """A store URL that names no backend swarm has, or cannot be parsed."""


def default_store_url(home: Path) -> str:
    """The embedded default: the workspace's SQLite file."""
    return f"sqlite://{queue_path(home)}"


def printable_url(url: str) -> str:
    """The URL without its password, to name it in messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def sqlite_path(url: str) -> Path | None:
    """The database file a `sqlite://` URL names, or None for another backend."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return None
    if parts.netloc or not parts.path:
        raise StoreUrlError(f"store {url}: write sqlite:///absolute/path/swarm.db")
    return Path(parts.path)


async def open_store(
    url: str, *, sender: str = "swarm", clock: Callable[[], float] = time.time,
    retry: RetryPolicy | None = None, rng: Callable[[], float] = random.random,
    read_only: bool = False,
) -> Store:
    """The store at `url`; `StoreUrlError` for a URL of no known backend, `StoreError`
    naming the URL when it cannot be reached. `read_only` applies to SQLite (a Redis
    user's rights are the server's business)."""
    path = sqlite_path(url)
    if path is not None:
        from taskqueue.sqlite import SqliteStore

        return await SqliteStore.open(path, sender=sender, clock=clock, retry=retry, rng=rng,
                                      read_only=read_only)
    scheme = urlsplit(url).scheme
    if scheme not in _REDIS_SCHEMES:
        raise StoreUrlError(
            f"store {printable_url(url)!r}: use sqlite:///path, redis://host:port/db "
            "or rediss://host:port/db")
    try:
        from taskqueue.redis import RedisStore
    except ImportError as exc:
        raise StoreError(f"store {printable_url(url)}: the Redis backend needs "
                         "pip install 'localswarm[redis]'") from exc
    password = None if urlsplit(url).password else os.environ.get(PASSWORD_ENV) or None
    return await RedisStore.open(url, password=password, sender=sender, clock=clock,
                                 retry=retry, rng=rng, where=f"store {printable_url(url)}")
