"""A plan of tasks as the enqueue script takes it: checked here, decided there."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from taskqueue.encoding import to_json
from taskqueue.errors import DuplicateTaskKey, InvalidTask, UnknownSession
from taskqueue.models import NewTask
from taskqueue.plan_graph import check_plan_graph, existing_reach
from taskqueue.redis.scripts import text

# Ranks sort as text: (2^63 - 1 - priority) in 20 digits puts the highest priority first,
# exactly, for every 64-bit priority (a float score would merge neighbours).
_PRIORITY_TOP = 2**63 - 1


def plan_batch(tasks: Sequence[NewTask]) -> str:
    """The batch as the enqueue script reads it (JSON); raises `InvalidTask` for a plan
    that is wrong whatever the store holds."""
    check_plan_graph(tasks)
    return json.dumps([_spec(task, index, reach)
                       for index, (task, reach) in enumerate(zip(tasks, existing_reach(tasks),
                                                                 strict=True))])


def _spec(task: NewTask, index: int, reach: set[int]) -> dict[str, Any]:
    label = f"task {task.key or index}"
    if task.not_before is not None and math.isnan(task.not_before):
        raise InvalidTask(f"{label}: not_before is not a number")
    spec: dict[str, Any] = {
        "role": task.role, "title": task.title, "input": to_json(task.input, f"{label}: input"),
        "priority": str(task.priority), "rank": f"{_PRIORITY_TOP - task.priority:020d}",
        "max_attempts": str(task.max_attempts), "not_before": text(task.not_before or 0.0),
        "run_on_partial": "1" if task.run_on_partial else "0",
        "dep_ids": [dep for dep in task.depends_on if isinstance(dep, int)],
        "dep_keys": [dep for dep in task.depends_on if isinstance(dep, str)],
        "before": sorted(set(task.before)), "reach": sorted(reach),
        "label": repr(task.key) if task.key is not None else f"#{index}",
    }
    if task.key is not None:
        spec["key"] = task.key
    if task.skill is not None:
        spec["skill"] = task.skill
    if task.timeout_s is not None:
        spec["timeout_s"] = text(task.timeout_s)
    return spec


def enqueued_ids(reply: list[Any], session_id: str, count: int) -> list[int]:
    """The ids the enqueue script gave, or the error for what it refused."""
    verdict, *rest = reply
    if verdict == "ok":
        first = int(rest[0])
        return list(range(first, first + count))
    if verdict == "unknown_session":
        raise UnknownSession(f"no session {session_id!r}")
    if verdict in ("unknown_ids", "unknown_before"):
        missing = sorted({int(i) for i in rest})
        field = "depends_on" if verdict == "unknown_ids" else "before"
        raise InvalidTask(f"{field}: unknown task id(s) {missing} in session {session_id}")
    if verdict == "started":
        started = sorted({int(i) for i in rest})
        raise InvalidTask(f"before: task(s) {started} already started or ended; only "
                          "queued or blocked tasks can wait for a new task")
    if verdict == "cycle":
        label, *closing = rest
        raise InvalidTask(f"task {label}: before {sorted(int(i) for i in closing)} would be a "
                          "dependency cycle: the task already waits for them")
    taken = sorted(set(rest))
    raise DuplicateTaskKey(f"session {session_id} already has tasks with key(s) {taken}")
