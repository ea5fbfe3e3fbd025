"""Answering a task of role `human`: the answer goes to the blackboard like any finding,
then the task is completed, which releases the tasks that wait for it.

`swarm answer` and the dashboard both answer through `answer_human_task`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from blackboard import FINDINGS, FrontMatter
from orchestrator.board_copies import share_file
from orchestrator.requests import BadInput, check_characters, shown, whole_number
from orchestrator.workspace import Workspace
from taskqueue import HUMAN_ROLE, Store, SwarmError, Task, TaskStatus, session_channel
from taskqueue.messages import BlackboardWritten

ANSWER_STEM = "answer"
MAX_ANSWER_CHARS = 100_000
# Another answer to the same session is being written: wait this long for it at most.
LOCK_WAIT_S = 30.0


class AnswerRefused(SwarmError):
    """The task cannot be answered (not a human task, answered already, not ready…)."""


def parse_task_id(text: str) -> int:
    """A task id as typed by a user: a whole number from 1 to the largest id SQLite
    stores (a bigger one would overflow the query)."""
    try:
        value = whole_number(text.strip().lstrip("#"), "TASK", "a task id")
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    if value < 1:
        raise BadInput(f"TASK must be a task id (a whole number such as 9), got {shown(text)}")
    return value


def check_answerable(task: Task) -> None:
    """Raise `AnswerRefused` saying why `task` does not wait for an answer."""
    if task.role != HUMAN_ROLE:
        raise AnswerRefused(f"task {task.id} is a {task.role!r} task: only tasks of role "
                            f"{HUMAN_ROLE!r} wait for an answer")
    if task.status is TaskStatus.DONE:
        raise AnswerRefused(f"task {task.id} was already answered")
    if task.status is TaskStatus.BLOCKED:
        raise AnswerRefused(f"task {task.id} still waits for tasks {task.depends_on}: it can "
                            "be answered once they are done")
    if task.status is not TaskStatus.QUEUED:
        raise AnswerRefused(f"task {task.id} is {task.status.value}: it takes no answer")


async def answer_human_task(
    ws: Workspace, store: Store, task_id: int, text: str, *, source: str
) -> str:
    """Write the answer to `findings/` and complete the task; returns the file's path in
    the session's blackboard. `source` (cli, dashboard) is recorded as the writer."""
    text = text.strip()
    if not text:
        raise AnswerRefused("the answer is empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerRefused(f"the answer is longer than {MAX_ANSWER_CHARS} characters")
    # Checked as a request is: a NUL or an escape would reach the blackboard's file.
    check_characters(text, "the answer")
    first = await store.get_task(task_id)
    check_answerable(first)
    board = ws.board(first.session_id)
    board.create()
    async with _answering(board.path):
        # Checked again under the lock: a second answer must not overwrite the first.
        task = await store.get_task(task_id)
        check_answerable(task)
        meta = FrontMatter(task=task.id, role=HUMAN_ROLE, attempt=task.attempt + 1,
                           worker=f"{HUMAN_ROLE}@{source}", title=task.title or None)
        location = board.write_output(FINDINGS, ANSWER_STEM, render_answer(task, text), meta)
        relative = location.relative_to(board.path).as_posix()
        await share_file(ws, store, task.session_id, relative)
        await store.publish(session_channel(task.session_id), BlackboardWritten(
            session_id=task.session_id, path=relative, task_id=task.id))
        if not await store.answer_task(task.id, {"answer": text, "file": relative}):
            # Cancelled in the meantime: say so; the file stays as a record of the answer.
            check_answerable(await store.get_task(task.id))
            raise AnswerRefused(f"task {task.id} could not be answered")
    return relative


def render_answer(task: Task, text: str) -> str:
    lines = [f"# {task.title or f'Task {task.id}'}", ""]
    question = task.input.get("question")
    if isinstance(question, str) and question.strip():
        lines += ["> " + line if line else ">" for line in question.strip().splitlines()]
        lines.append("")
    lines += ["## Answer", "", text, ""]
    return "\n".join(lines)


@contextlib.asynccontextmanager
async def _answering(session_dir: Path) -> AsyncIterator[None]:
    """Answers to one session are written one at a time, across processes too.

    The lock is tried without blocking so that a waiting answer never stalls the event
    loop of the dashboard that serves it.
    """
    fd = os.open(session_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AnswerRefused("another answer to this session is still being "
                                        "written; try again") from None
                await asyncio.sleep(0.02)
        yield
    finally:
        os.close(fd)
