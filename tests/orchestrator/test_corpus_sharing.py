"""`run` shares its corpus through the store when the blackboard goes through it: once,
by content, so a second run of the same corpus uploads nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from orchestrator.session_start import RunOptions, share_corpus
from orchestrator.workspace import STORE_ENV, Workspace
from taskqueue import Store


class CountingPuts:
    """A store that counts the blobs put in it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.put: list[str] = []

    async def put_blobs(self, blobs: Mapping[str, bytes]) -> int:
        self.put.extend(blobs)
        return await self._store.put_blobs(blobs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def options_for(tmp_path: Path) -> RunOptions:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# A\n")
    (corpus / "b.md").write_text("# B\n")
    return RunOptions(corpus=corpus, index=tmp_path / "home" / "index" / "corpus.db")


async def test_a_second_run_of_the_same_corpus_uploads_nothing(
    redis_store: Store, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STORE_ENV, redis_url)
    ws = Workspace(tmp_path / "home")
    options = options_for(tmp_path)
    store = CountingPuts(redis_store)

    first = await share_corpus(ws, store, options)
    first_puts = len(store.put)
    second = await share_corpus(ws, store, options)

    assert ws.board_through_store
    assert first.corpus_snapshot is not None
    assert first_puts == 3  # two files, then the manifest
    assert second.corpus_snapshot == first.corpus_snapshot
    assert len(store.put) == first_puts


async def test_a_corpus_on_the_workspaces_own_store_is_not_shared(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(STORE_ENV, raising=False)
    ws = Workspace(tmp_path / "home")
    store = CountingPuts(sqlite_store)

    shared = await share_corpus(ws, store, options_for(tmp_path))

    assert not ws.board_through_store
    assert shared.corpus_snapshot is None
    assert store.put == []
