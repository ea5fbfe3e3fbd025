"""The SQLite schema, versioned with `PRAGMA user_version`.

`MIGRATIONS[i]` takes a database from version i to i+1. Append, never edit: a database
made by an older swarm is upgraded in place on open; one made by a newer swarm is refused.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: sessions, tasks, task dependencies, messages, workers.
    """
    CREATE TABLE sessions (
        id           TEXT PRIMARY KEY,
        request      TEXT NOT NULL,
        status       TEXT NOT NULL,
        options      TEXT NOT NULL DEFAULT '{}',
        created_at   REAL NOT NULL,
        finished_at  REAL
    );
    CREATE TABLE tasks (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        key            TEXT,
        role           TEXT NOT NULL,
        skill          TEXT,
        title          TEXT NOT NULL DEFAULT '',
        input          TEXT NOT NULL DEFAULT '{}',
        priority       INTEGER NOT NULL DEFAULT 0,
        status         TEXT NOT NULL,
        attempt        INTEGER NOT NULL DEFAULT 0,
        max_attempts   INTEGER NOT NULL DEFAULT 3,
        timeout_s      REAL,
        not_before     REAL NOT NULL DEFAULT 0,
        run_on_partial INTEGER NOT NULL DEFAULT 0,
        lease_owner    TEXT,
        lease_expires  REAL,
        result         TEXT,
        error          TEXT,
        checkpoint     TEXT,
        progress       REAL,
        progress_note  TEXT,
        created_at     REAL NOT NULL,
        started_at     REAL,
        finished_at    REAL
    );
    -- The claim reads this index in order: ready tasks of a role, highest priority, oldest.
    CREATE INDEX tasks_ready ON tasks(role, priority DESC, id) WHERE status = 'queued';
    CREATE INDEX tasks_running ON tasks(lease_owner) WHERE status = 'running';
    CREATE INDEX tasks_lease ON tasks(lease_expires) WHERE status = 'running';
    CREATE INDEX tasks_session ON tasks(session_id, status);
    CREATE TABLE task_deps (
        task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        depends_on  INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        PRIMARY KEY (task_id, depends_on)
    ) WITHOUT ROWID;
    CREATE INDEX task_deps_reverse ON task_deps(depends_on, task_id);
    -- AUTOINCREMENT: an id is never reused after pruning, so a reader's offset stays valid.
    CREATE TABLE messages (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        time     REAL NOT NULL,
        channel  TEXT NOT NULL,
        kind     TEXT NOT NULL,
        sender   TEXT NOT NULL,
        body     TEXT NOT NULL
    );
    CREATE INDEX messages_channel ON messages(channel, id);
    CREATE INDEX messages_time ON messages(time);
    CREATE TABLE workers (
        id            TEXT PRIMARY KEY,
        role          TEXT NOT NULL,
        pid           INTEGER NOT NULL,
        host          TEXT NOT NULL DEFAULT '',
        session_id    TEXT,
        concurrency   INTEGER NOT NULL DEFAULT 1,
        status        TEXT NOT NULL,
        started_at    REAL NOT NULL,
        heartbeat_at  REAL NOT NULL,
        running       TEXT NOT NULL DEFAULT '[]',
        rss_mb        REAL
    );
    """,
    # 1 -> 2: a key names one task of its session, so a plan enqueued twice (a planner's
    # retried attempt racing the attempt it replaced) is refused the second time.
    """
    CREATE UNIQUE INDEX tasks_session_key ON tasks(session_id, key) WHERE key IS NOT NULL;
    """,
    # 2 -> 3: limits on calls to the model server shared by every process of a workspace
    # (slots held now, requests of the last minute) and each session's model usage.
    """
    CREATE TABLE llm_slots (
        holder       TEXT PRIMARY KEY,
        owner        TEXT,
        acquired_at  REAL NOT NULL,
        expires_at   REAL NOT NULL
    );
    CREATE TABLE llm_requests (
        id    INTEGER PRIMARY KEY AUTOINCREMENT,
        time  REAL NOT NULL
    );
    CREATE INDEX llm_requests_time ON llm_requests(time);
    -- Latency in whole milliseconds: sums are exact whatever order processes wrote the
    -- rows in, so a report showing them is the same when a session is replayed.
    CREATE TABLE llm_usage (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        task_id     INTEGER,
        time        REAL NOT NULL,
        tokens_in   INTEGER NOT NULL,
        tokens_out  INTEGER NOT NULL,
        latency_ms  INTEGER NOT NULL,
        ok          INTEGER NOT NULL
    );
    CREATE INDEX llm_usage_session ON llm_usage(session_id, task_id);
    """,
    # 3 -> 4: blackboard files kept in the store, for workers on hosts that do not share
    # the orchestrator's disk; one row per path, its latest text under the next sequence.
    """
    CREATE TABLE blackboard_files (
        session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        path        TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        text        TEXT NOT NULL,
        PRIMARY KEY (session_id, path)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX blackboard_files_seq ON blackboard_files(session_id, seq);
    """,
    # 4 -> 5: content-addressed blobs (the files of corpus snapshots), kept by sha256. A
    # rowid table: SQLite keeps large rows better in one than in a WITHOUT ROWID table.
    """
    CREATE TABLE blobs (
        sha256   TEXT PRIMARY KEY,
        content  BLOB NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
