"""Search that finds answers: structure, identifiers, paths and coverage decide the rank."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from skills.offline.corpus import CorpusIndex
from skills.offline.identifiers import identifier_parts, query_terms, with_parts

STREAMS = '''
# Flow Control
# Backpressure is applied when the buffer fills.


class StreamReader:
    """A buffered reader."""

    def feed_data(self, data):
        self._buffer.extend(data)
        if len(self._buffer) > 2 * self._limit and not self._paused:
            # The buffer is full: apply backpressure.
            self._transport.pause_reading()
            self._paused = True

    def _maybe_resume_transport(self):
        if self._paused and len(self._buffer) <= self._limit:
            self._paused = False
            self._transport.resume_reading()
'''

NOTES = """Notes

StreamReader is mentioned here once, in passing, among many other words about streams.
"""

HANDLERS = '''
class Handler:
    def acquire(self):
        self.lock.acquire()
'''


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CorpusIndex:
    root = tmp_path_factory.mktemp("ranking-corpus")
    (root / "asyncio").mkdir()
    (root / "asyncio" / "streams.py").write_text(STREAMS, encoding="utf-8")
    (root / "notes.txt").write_text(NOTES, encoding="utf-8")
    (root / "logging").mkdir()
    (root / "logging" / "__init__.py").write_text(HANDLERS, encoding="utf-8")
    (root / "other.py").write_text(HANDLERS.replace("Handler", "Other"), encoding="utf-8")
    built = CorpusIndex(tmp_path_factory.mktemp("home") / "corpus.db", root)
    built.refresh()
    return built


def test_the_function_that_implements_a_thing_beats_a_comment_that_names_it(
        index: CorpusIndex) -> None:
    hits = index.search("How does a StreamReader handle backpressure?", limit=10)
    assert hits[0].symbol == "StreamReader.feed_data"
    assert hits[0].citation == "asyncio/streams.py:9-14"
    comment = next(h for h in hits if h.kind == "comment")
    assert hits.index(comment) > 0


def test_identifiers_are_found_whole_and_by_their_parts(index: CorpusIndex) -> None:
    assert index.search("pause_reading", limit=1)[0].symbol == "StreamReader.feed_data"
    assert index.search("maybe resume transport", limit=1)[0].symbol == (
        "StreamReader._maybe_resume_transport")
    assert index.search("stream reader", limit=1)[0].path == "asyncio/streams.py"


def test_a_file_path_named_by_the_question_counts(index: CorpusIndex) -> None:
    hits = index.search("How does the logging module make handlers acquire a lock?", limit=2)
    assert hits[0].path == "logging/__init__.py"
    assert hits[0].symbol == "Handler.acquire"


def test_filler_words_of_questions_are_not_searched() -> None:
    assert [t.whole for t in query_terms("What happens when a module handles it?", 10)] == []
    terms = query_terms("How does StreamReader call pause_reading?", 10)
    assert [(t.whole, t.parts) for t in terms] == [
        ("streamreader", ("stream", "reader")), ("call", ("call",)),
        ("pause_reading", ("pause", "reading"))]


def test_identifiers_split_on_snake_and_camel_case() -> None:
    assert identifier_parts("_maybe_resume_transport") == ["maybe", "resume", "transport"]
    assert identifier_parts("HTTPServerV2") == ["http", "server", "v2"]
    assert with_parts("self._buffer and StreamReader, not plain") == "buffer stream reader"


def test_an_index_of_the_old_schema_is_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.py").write_text("def lease_expiry():\n    return 1\n", encoding="utf-8")
    db_path = tmp_path / "old.db"
    with sqlite3.connect(db_path) as db:
        db.executescript(f"""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('stamp', '1:{root.absolute()}');
            CREATE TABLE files (path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL,
                size INTEGER NOT NULL, is_text INTEGER NOT NULL, passages INTEGER NOT NULL);
            CREATE TABLE chunks (id INTEGER PRIMARY KEY, path TEXT NOT NULL,
                start_line INTEGER NOT NULL, end_line INTEGER NOT NULL);
            CREATE VIRTUAL TABLE chunks_fts USING fts5 (text);
        """)
    [hit] = CorpusIndex(db_path, root).search("lease expiry")
    assert (hit.citation, hit.symbol) == ("a.py:1-2", "lease_expiry")
