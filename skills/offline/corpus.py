"""A local corpus indexed with SQLite FTS5 and searched by bm25, with file:line citations.

The index is its own small database file (the caller picks where, e.g.
``<home>/corpus-<hash>.db``); it is a cache, rebuilt from the files at any time. Several
worker processes may refresh and search the same index at once: WAL mode lets searches run
during a refresh, and refreshes take the write lock for their whole run, so the second one
finds everything unchanged.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from taskqueue.printable import printable

from .identifiers import query_terms, with_parts
from .ranking import Candidate, fts_match, idf, rank_candidates, term_match
from .walk import CorpusError, CorpusFile, read_text, walk_corpus

__all__ = ["CorpusError", "CorpusIndex", "IndexStats", "Passage", "fts_query"]

logger = logging.getLogger(__name__)

# Version 2: passages follow the file's structure, with their symbol, section and kind;
# version 3: Go, JavaScript, TypeScript, Rust, C and Java files too. An index of another
# version is dropped and rebuilt by the next refresh.
SCHEMA_VERSION = "3"
DEFAULT_MAX_FILE_BYTES = 1024 * 1024
DEFAULT_MAX_FILES = 20_000
# Enough for a few sentences of keywords; a megabyte request must not build a megabyte query.
MAX_QUERY_TERMS = 32
# bm25 picks this many candidates for ranking.py to re-rank, and this many more for each
# term alone, so that a rare term's passages are candidates even when a common term's
# many matches in paths and symbols fill the pool.
CANDIDATE_POOL = 200
CANDIDATES_PER_TERM = 40
# bm25 column weights: path, symbol, section, text, identifier parts. A term in the file's
# path or the definition's name says more about a passage than one in its text.
COLUMN_WEIGHTS = (4.0, 6.0, 3.0, 1.0, 0.5)
# A first refresh of a large corpus by another worker can hold the write lock for a while.
BUSY_TIMEOUT_S = 120.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- is_text = 0 remembers a binary file so an unchanged one is not read again.
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    is_text INTEGER NOT NULL, passages INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    symbol TEXT NOT NULL, section TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks (path);
-- rowid = chunks.id. "_" is part of a token, so `pause_reading` is matched whole, and the
-- parts of identifiers (`pause reading`) are in their own column.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    path, symbol, section, text, parts, tokenize = "porter unicode61 tokenchars '_'"
);
"""
_TABLES = ("files", "chunks", "chunks_fts")

_SEARCH = f"""
SELECT c.path, c.start_line, c.end_line, c.symbol, c.section, c.kind, c.text,
       bm25(chunks_fts, {", ".join(map(str, COLUMN_WEIGHTS))}) AS rank
FROM chunks_fts AS f JOIN chunks AS c ON c.id = f.rowid
WHERE chunks_fts MATCH ?
ORDER BY rank, c.path, c.start_line
LIMIT ?
"""


class Passage(BaseModel):
    """A run of lines from one corpus file, as found by a search.

    ``path`` is relative to the corpus root, in POSIX form; lines are 1-based and
    ``end_line`` is inclusive; ``score`` is the ranking's score, higher is better.
    ``symbol`` names the function, method or class it holds, ``section`` the headings it
    stands under; ``kind`` is ``prose``, ``code``, ``comment`` or ``heading``.
    """

    model_config = ConfigDict(frozen=True)

    path: str
    start_line: int
    end_line: int
    text: str
    score: float
    symbol: str = ""
    section: str = ""
    kind: str = "prose"

    @property
    def where(self) -> str:
        """The symbol or the section the passage belongs to, or ""."""
        return self.symbol or self.section

    @property
    def citation(self) -> str:
        """``path:start-end``, or ``path:line`` for a single line; a control character in
        the path (a newline in a file's name) is escaped, so a citation is one line."""
        if self.start_line == self.end_line:
            return f"{printable(self.path)}:{self.start_line}"
        return f"{printable(self.path)}:{self.start_line}-{self.end_line}"


class IndexStats(BaseModel):
    """What one refresh did.

    ``checked`` counts the files looked at; each is then ``indexed`` (new or changed
    text), ``unchanged``, or ``skipped`` (binary, not UTF-8, too large or unreadable).
    ``removed`` counts files dropped from the index because they are gone or no longer
    qualify; ``truncated`` is true when the file-count limit stopped the walk.
    ``text_files`` and ``passages`` describe the whole index afterwards.
    """

    checked: int = 0
    indexed: int = 0
    unchanged: int = 0
    skipped: int = 0
    removed: int = 0
    truncated: bool = False
    text_files: int = 0
    passages: int = 0


class CorpusIndex:
    """A full-text index of the text files under ``root``, stored in ``index_db``."""

    def __init__(
        self,
        index_db: Path,
        root: Path,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_files: int = DEFAULT_MAX_FILES,
    ) -> None:
        self.index_db = Path(index_db)
        self.root = Path(root)
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files

    def refresh(self) -> IndexStats:
        """Bring the index up to date with the files under ``root``.

        Only new or changed files (by size and modification time) are read; files that
        vanished are removed. Raises ``CorpusError`` when the root is missing, not a
        directory, unreadable, or holds no text file with any content; ``OSError`` or
        ``sqlite3.Error`` when the index file itself cannot be written.
        """
        root = self.root.absolute()
        walk = walk_corpus(root, self.max_files, self.max_file_bytes, self.own_files())
        stats = IndexStats()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one refresher at a time, see module docstring
            self._reset_if_other_root(db, root)
            known = {
                row[0]: (row[1], row[2], bool(row[3]))
                for row in db.execute("SELECT path, mtime_ns, size, is_text FROM files")
            }
            seen: set[str] = set()
            for found in walk.files():
                seen.add(found.path)
                self._refresh_file(db, found, known.get(found.path), stats)
            for path in sorted(set(known) - seen):
                _forget(db, path)
                stats.removed += 1
            stats.checked = walk.checked
            stats.skipped += walk.skipped
            stats.truncated = walk.truncated
            stats.text_files, stats.passages = db.execute(
                "SELECT count(*), coalesce(sum(passages), 0) FROM files WHERE passages > 0"
            ).fetchone()
            db.execute("COMMIT")
        logger.debug("refreshed corpus %s: %s", root, stats)
        if stats.text_files == 0:
            files = "file" if stats.checked == 1 else "files"
            raise CorpusError(
                f"corpus {root} holds no text files (checked {stats.checked} {files})"
            )
        return stats

    def search(self, query: str, limit: int = 5) -> list[Passage]:
        """Return up to ``limit`` passages matching any term of ``query``, best first.

        bm25 (path, symbol and section weighing more than text) picks the candidates;
        ``ranking.rank_candidates`` orders them by how much of the question they cover,
        ties broken by path and line, so the same corpus and query give the same answer.
        The query is never parsed as FTS5 syntax: every term is quoted. No terms, or a
        ``limit`` below 1, gives ``[]``. An index of an older schema is rebuilt first.
        """
        terms = query_terms(query, MAX_QUERY_TERMS)
        if not terms or limit < 1:
            return []
        with self._connect() as db:
            outdated = _stamp(db) not in (None, f"{SCHEMA_VERSION}:{self.root.absolute()}")
        if outdated:
            self.refresh()
        with self._connect() as db:
            rows = db.execute(_SEARCH, (fts_match(terms), CANDIDATE_POOL)).fetchall()
            for term in terms if len(terms) > 1 else ():
                rows += db.execute(_SEARCH, (term_match(term), CANDIDATES_PER_TERM)).fetchall()
            rows = list({row[:3]: row for row in rows}.values())
            passages = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            weights = [idf(passages, db.execute(
                "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                (term_match(term),)).fetchone()[0]) for term in terms]
        ranked = rank_candidates([Candidate(*row) for row in rows], terms, weights, limit)
        return [Passage(path=c.path, start_line=c.start_line, end_line=c.end_line,
                        text=c.text, score=score, symbol=c.symbol, section=c.section,
                        kind=c.kind) for c, score in ranked]

    def passages_naming(self, name: str, limit: int = 200) -> list[Passage]:
        """Passages whose symbol, section or text holds the identifier ``name`` as a whole
        token (``feed_data``, not ``feed`` or ``data``), best bm25 first; ``[]`` when
        ``name`` is not an identifier."""
        if not name.isidentifier():
            return []
        match = '{symbol section text} : "' + name + '"'
        with self._connect() as db:
            rows = db.execute(_SEARCH, (match, limit)).fetchall()
        return [Passage(path=path, start_line=start, end_line=end, text=text,
                        score=round(-rank, 6), symbol=symbol, section=section, kind=kind)
                for path, start, end, symbol, section, kind, text, rank in rows]

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """Open the index (autocommit mode, WAL, schema created) and always close it."""
        self.index_db.parent.mkdir(parents=True, exist_ok=True)
        with closing(
            sqlite3.connect(self.index_db, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        ) as db:
            _set_up(db)
            yield db

    def own_files(self) -> set[Path]:
        """The index database and its side files, never to be indexed themselves."""
        db = self.index_db.absolute()
        return {db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}

    def _reset_if_other_root(self, db: sqlite3.Connection, root: Path) -> None:
        """An index built for another root or schema is emptied rather than trusted."""
        stamp = f"{SCHEMA_VERSION}:{root}"
        if _stamp(db) == stamp:
            return
        # Dropped, not emptied: an older schema's tables have other columns.
        for table in _TABLES:
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('stamp', ?)", (stamp,))

    def _refresh_file(
        self,
        db: sqlite3.Connection,
        found: CorpusFile,
        known: tuple[int, int, bool] | None,
        stats: IndexStats,
    ) -> None:
        """Index one file if it is new or changed; count what happened.

        ``known`` is what the index recorded: modification time, size, and whether the
        file was text (a remembered binary stays skipped without being read).
        """
        if known is not None and known[:2] == (found.mtime_ns, found.size):
            if known[2]:
                stats.unchanged += 1
            else:
                stats.skipped += 1
            return
        if known is not None:
            _forget(db, found.path)
        try:
            text = read_text(found.absolute, self.max_file_bytes)
        except OSError as exc:
            # Not remembered: an unreadable file may become readable without changing.
            logger.info("skipping unreadable file %s: %s", found.absolute, exc.strerror or exc)
            stats.skipped += 1
            return
        if text is None:
            stats.skipped += 1
            _remember_binary(db, found)
            return
        # Imported here: the chunkers (code, Python, Markdown, reST) are loaded by a process
        # that indexes, not by every one that imports the corpus to search it.
        from .chunking import chunk_file

        chunks = chunk_file(found.path, text.split("\n"))
        for chunk in chunks:
            cursor = db.execute(
                "INSERT INTO chunks (path, start_line, end_line, symbol, section, kind, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (found.path, chunk.start_line, chunk.end_line, chunk.symbol, chunk.section,
                 chunk.kind, chunk.text),
            )
            db.execute(
                "INSERT INTO chunks_fts (rowid, path, symbol, section, text, parts)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (cursor.lastrowid, f"{found.path} {with_parts(found.path)}",
                 f"{chunk.symbol} {with_parts(chunk.symbol)}", chunk.section, chunk.text,
                 with_parts(chunk.text)),
            )
        db.execute(
            "INSERT INTO files (path, mtime_ns, size, is_text, passages) VALUES (?, ?, ?, 1, ?)",
            (found.path, found.mtime_ns, found.size, len(chunks)),
        )
        stats.indexed += 1


def fts_query(query: str) -> str:
    """Build a safe FTS5 query: the terms of ``query`` and their parts, each quoted,
    joined by OR."""
    return fts_match(query_terms(query, MAX_QUERY_TERMS))


def _stamp(db: sqlite3.Connection) -> str | None:
    """The index's `<schema version>:<root>`, or None for a new index."""
    row = db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
    return None if row is None else str(row[0])


def _forget(db: sqlite3.Connection, path: str) -> None:
    """Remove a file and its passages from the index."""
    db.execute(
        "DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE path = ?)", (path,)
    )
    db.execute("DELETE FROM chunks WHERE path = ?", (path,))
    db.execute("DELETE FROM files WHERE path = ?", (path,))


def _remember_binary(db: sqlite3.Connection, found: CorpusFile) -> None:
    db.execute(
        "INSERT INTO files (path, mtime_ns, size, is_text, passages) VALUES (?, ?, ?, 0, 0)",
        (found.path, found.mtime_ns, found.size),
    )


def _set_up(db: sqlite3.Connection) -> None:
    """WAL and the schema. Two processes switching a new file to WAL at once can get
    "database is locked" at once, without SQLite waiting its busy timeout: retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
