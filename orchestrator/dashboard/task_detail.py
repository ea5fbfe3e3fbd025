"""`GET /api/tasks/{id}`: what an opened card shows — an agent task's steps, read from the
bus, and a command task's diff, read from the blackboard.

Everything is returned as plain text in JSON; the page puts it in with `textContent`, so
no text of a model, a tool or a program is ever parsed as HTML.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from blackboard import Blackboard, BlackboardFileNotFound
from blackboard.frontmatter import split
from blackboard.layout import PATCHES, TRACES, task_file_path
from orchestrator.dashboard.render import raw_url
from orchestrator.dashboard.snapshot import task_view
from orchestrator.workspace import Workspace
from skills.agents.steps import AGENT_STEP
from taskqueue import Message, Store, Task, session_channel

__all__ = ["MAX_DIFF_BYTES", "MAX_DIFF_LINES", "STEP_TEXT_CHARS", "diff_lines",
           "task_detail"]

# A model's words between tool calls: enough for a card, the trace has the rest.
STEP_TEXT_CHARS = 600
# The most of a diff a card shows; the whole patch is one link away (`raw`).
MAX_DIFF_BYTES = 500_000
MAX_DIFF_LINES = 5000
READ_PAGE = 1000
# Lines of a file's header in `git diff`, before its first hunk.
_HEADER_STARTS = ("diff --git ", "index ", "--- ", "+++ ", "new file", "deleted file",
                  "old mode", "new mode", "similarity", "rename ", "copy ", "Binary files")


async def task_detail(ws: Workspace, store: Store, task_id: int) -> dict[str, Any]:
    """The card of task `task_id`, its agent steps so far and its diff (or None)."""
    task = await store.get_task(task_id)
    board = ws.board(task.session_id)
    steps = await agent_steps(store, task)
    diff = await asyncio.to_thread(read_diff, board, task.id)
    trace = task_file_path(TRACES, task.id, ".md")
    has_trace = await asyncio.to_thread(lambda: (board.path / trace).is_file())
    return {"task": task_view(task, time.time()), "steps": steps,
            "trace": trace if has_trace else None, "diff": diff}


async def agent_steps(store: Store, task: Task) -> list[dict[str, Any]]:
    """The `agent_step` messages of `task`, oldest first, as the bus carries them."""
    steps: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await store.read([session_channel(task.session_id)], offset, READ_PAGE)
        steps += [step_view(m) for m in page
                  if m.kind == AGENT_STEP and m.body.get("task_id") == task.id]
        if len(page) < READ_PAGE:
            return steps
        offset = page[-1].id


def step_view(message: Message) -> dict[str, Any]:
    body = dict(message.body)
    text = body.get("text")
    if isinstance(text, str) and len(text) > STEP_TEXT_CHARS:
        body["text"] = text[:STEP_TEXT_CHARS] + " …"
    return body


def read_diff(board: Blackboard, task_id: int) -> dict[str, Any] | None:
    """The task's `patches/task-<id>.diff` as kinds of lines, or None when it has none.

    Blocking: call it off the event loop. Only the first `MAX_DIFF_BYTES` are read.
    """
    path = task_file_path(PATCHES, task_id, ".diff")
    try:
        location = board.locate(path)
    except BlackboardFileNotFound:
        return None
    with location.open("rb") as handle:
        head = handle.read(MAX_DIFF_BYTES + 1)
        size = os.fstat(handle.fileno()).st_size
    _, body = split(head[:MAX_DIFF_BYTES].decode("utf-8", errors="replace"))
    lines = diff_lines(body)
    truncated = len(head) > MAX_DIFF_BYTES or len(lines) > MAX_DIFF_LINES
    return {"path": path, "size": size, "truncated": truncated,
            "raw": raw_url(board.session_id, path),
            "files": sum(1 for line in lines if line["text"].startswith("diff --git ")),
            "added": sum(1 for line in lines if line["kind"] == "add"),
            "removed": sum(1 for line in lines if line["kind"] == "del"),
            "lines": lines[:MAX_DIFF_LINES]}


def diff_lines(text: str) -> list[dict[str, str]]:
    """Each line of a unified diff with its kind: `file` (a file's header), `hunk`
    (`@@`), `add`, `del`, or `context`."""
    lines: list[dict[str, str]] = []
    in_header = False
    for line in text.splitlines():
        if line.startswith("diff --git "):
            in_header = True
        if in_header and line.startswith(_HEADER_STARTS):
            kind = "file"
        elif line.startswith("@@"):
            in_header = False
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        lines.append({"kind": kind, "text": line})
    return lines
