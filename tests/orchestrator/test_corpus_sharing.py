"""`run` shares its corpus through the store when the blackboard goes through it: once,
by content, so a second run of the same corpus uploads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio

from orchestrator.session_start import (
    CorpusProblem,
    RunOptions,
    restore_corpus_snapshot,
    share_corpus,
)
from orchestrator.workspace import STORE_ENV, Workspace
from support.blob_counts import CountingStore
from taskqueue import Session, Store


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
    store = CountingStore(redis_store)

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
    store = CountingStore(sqlite_store)

    shared = await share_corpus(ws, store, options_for(tmp_path))

    assert not ws.board_through_store
    assert shared.corpus_snapshot is None
    assert store.put == []


async def lose_blob(redis_url: str, name: str) -> None:
    """What a Redis restarted from an AOF that missed its last second may have lost."""
    client = redis.asyncio.from_url(redis_url)
    try:
        lost = [key async for key in client.scan_iter(match=f"*blob:{name}")]
        assert lost
        await client.delete(*lost)
    finally:
        await client.aclose()


async def shared_session(redis_store: Store, redis_url: str, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> tuple[Session, str]:
    monkeypatch.setenv(STORE_ENV, redis_url)
    options = await share_corpus(Workspace(tmp_path / "home"), redis_store,
                                 options_for(tmp_path))
    session = await redis_store.create_session("q", options.model_dump(mode="json"))
    assert options.corpus_snapshot is not None
    await lose_blob(redis_url, options.corpus_snapshot)
    return session, options.corpus_snapshot


async def test_resume_puts_back_a_snapshot_the_store_lost(
    redis_store: Store, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, snapshot = await shared_session(redis_store, redis_url, tmp_path, monkeypatch)

    await restore_corpus_snapshot(redis_store, session)

    assert await redis_store.missing_blobs([snapshot]) == set()


async def test_a_lost_snapshot_of_a_corpus_changed_since_is_refused_by_name(
    redis_store: Store, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, _ = await shared_session(redis_store, redis_url, tmp_path, monkeypatch)
    (tmp_path / "corpus" / "a.md").write_text("# A, edited\n")
    store = CountingStore(redis_store)

    with pytest.raises(CorpusProblem) as refused:
        await restore_corpus_snapshot(store, session)

    assert store.put == []  # another corpus's snapshot is not uploaded for nothing

    assert str(refused.value) == (
        f"session {session.id}: the store lost its corpus snapshot and {tmp_path / 'corpus'} "
        "has changed since the session began, so it cannot be put back")
