"""The SQLite implementation of the storage protocol."""

from taskqueue.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
