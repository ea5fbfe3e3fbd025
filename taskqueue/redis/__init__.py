"""The Redis implementation of the storage protocol (the `redis` extra)."""

from taskqueue.redis.store import RedisStore

__all__ = ["RedisStore"]
