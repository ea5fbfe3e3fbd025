"""The shape of a session's blackboard directory and the names of the files in it."""

from __future__ import annotations

import re
import unicodedata

CONTEXT_FILE = "context.md"
"""The request, the plan and the options, written when the session starts."""

PLAN_FILE = "plan.md"
"""The plan as a table of tasks, by the planner or from a `--plan` file."""

FINAL_REPORT = "final/report.md"
"""The synthesized report, the last file a session writes."""

FINDINGS = "findings"
DESIGNS = "designs"
ANALYSIS = "analysis"
CRITIQUES = "critiques"
FINAL = "final"

TRACES = "traces"
"""An agent task's steps, one file a task (`traces/task-<id>.md`)."""

PATCHES = "patches"
"""A command task's `git diff` (`patches/task-<id>.diff`)."""

LOGS = "logs"
"""A command task's output and exit status (`logs/task-<id>.md`)."""

FOLDERS: tuple[str, ...] = (FINDINGS, DESIGNS, ANALYSIS, CRITIQUES, FINAL)
"""The folders every session starts with."""

TEMP_SUFFIX = ".swarm-tmp"
"""Ends the name of a file being written; such files are never listed or reported."""

COPY_MARK = ".copied-from-store"
"""In a session's folder on a host that copies the session's files from the store: the
last sequence number up to which every file the store holds is on this disk
(blackboard/copies.py). Never listed, and no path may name it."""

COPY_LOCK = ".copied-from-store.lock"
"""Beside the mark: the lock the copiers of one host take turns on. Never listed either."""

HOST_FILES: frozenset[str] = frozenset({COPY_MARK, COPY_LOCK})
"""The files in a session's folder that are the host's bookkeeping, not the session's."""

STEM_MAX_LENGTH = 60
"""Long enough for a title's first words, short enough for any file system's name limit."""

_NOT_STEM_CHARACTERS = re.compile(r"[^a-z0-9]+")


def is_temp_name(name: str) -> bool:
    """Whether a file name (not a path) is one of our temporary files."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def is_host_file(relative: str) -> bool:
    """Whether a path relative to the session names one of the host's own files."""
    return relative in HOST_FILES


def temp_name(final_name: str, token: str) -> str:
    """The name of the temporary file that will become ``final_name``."""
    return f".{final_name}.{token}{TEMP_SUFFIX}"


def sanitize_stem(stem: str) -> str:
    """Reduce a free-form stem (a title, a query) to ``[a-z0-9-]``, bounded in length.

    Accents are folded to their base letters so that 'Résumé' becomes 'resume'; a stem
    with nothing usable left becomes 'output'.
    """
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    dashed = _NOT_STEM_CHARACTERS.sub("-", folded.lower()).strip("-")
    bounded = dashed[:STEM_MAX_LENGTH].rstrip("-")
    return bounded or "output"


def output_name(stem: str, task: int, attempt: int) -> str:
    """The file name of a task's output, unique per task and attempt.

    A retry writes ``…-a2.md`` beside ``…-a1.md`` instead of over it.
    """
    return f"{sanitize_stem(stem)}--t{task}-a{attempt}.md"


def task_file_path(folder: str, task: int, suffix: str) -> str:
    """The one file of `folder` that belongs to task `task` (a trace, a diff, a log)."""
    return f"{folder}/task-{task}{suffix}"
