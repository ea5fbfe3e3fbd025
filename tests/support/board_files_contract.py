"""The storage contract's part on blackboard files kept in the store (for hosts that
share only the store): `StoreContract` includes it, so every backend passes it."""

from __future__ import annotations

import pytest

from taskqueue import Store, UnknownSession


class BoardFilesContract:
    async def test_put_files_are_read_back_in_sequence_after_an_offset(
        self, store: Store,
    ) -> None:
        session = await store.create_session("r", {})
        first = await store.put_blackboard_file(session.id, "context.md", "# r\n")
        second = await store.put_blackboard_file(session.id, "findings/a.md", "ä ✓\n")

        copies = await store.blackboard_files(session.id)
        later = await store.blackboard_files(session.id, after=first)

        assert 0 < first < second
        assert [(c.path, c.text, c.seq) for c in copies] == [
            ("context.md", "# r\n", first), ("findings/a.md", "ä ✓\n", second)]
        assert [c.path for c in later] == ["findings/a.md"]

    async def test_a_path_put_again_is_read_once_with_its_latest_text(
        self, store: Store,
    ) -> None:
        session = await store.create_session("r", {})
        first = await store.put_blackboard_file(session.id, "plan.md", "one")
        await store.put_blackboard_file(session.id, "context.md", "c")
        again = await store.put_blackboard_file(session.id, "plan.md", "two")

        copies = await store.blackboard_files(session.id)

        assert [(c.path, c.text) for c in copies] == [("context.md", "c"), ("plan.md", "two")]
        assert [c.seq for c in await store.blackboard_files(session.id, after=first)][-1] == again

    async def test_files_are_read_in_batches_of_the_limit(self, store: Store) -> None:
        session = await store.create_session("r", {})
        for name in "abc":
            await store.put_blackboard_file(session.id, f"{name}.md", name)

        batch = await store.blackboard_files(session.id, limit=2)
        rest = await store.blackboard_files(session.id, after=batch[-1].seq, limit=2)

        assert [c.path for c in batch + rest] == ["a.md", "b.md", "c.md"]

    async def test_each_session_keeps_its_own_files(self, store: Store) -> None:
        one = await store.create_session("r", {})
        other = await store.create_session("r", {})
        await store.put_blackboard_file(one.id, "a.md", "a")

        assert await store.blackboard_files(other.id) == []
        assert await store.blackboard_files("no-such-session") == []

    async def test_putting_a_file_of_an_unknown_session_is_an_error(self, store: Store) -> None:
        with pytest.raises(UnknownSession):
            await store.put_blackboard_file("no-such-session", "a.md", "a")

    async def test_putting_a_file_wakes_waiters(self, store: Store) -> None:
        session = await store.create_session("r", {})
        seen = store.news_version

        await store.put_blackboard_file(session.id, "a.md", "a")

        assert await store.wait_for_news(5.0, seen)
