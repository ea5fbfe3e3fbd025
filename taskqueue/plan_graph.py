"""Checks on a batch of tasks before anything is enqueued: keys, dependencies, cycles."""

from __future__ import annotations

from collections.abc import Sequence

from taskqueue.errors import InvalidTask
from taskqueue.models import NewTask


def check_plan_graph(tasks: Sequence[NewTask]) -> None:
    """Refuse duplicate keys, dependencies on unknown keys, and cycles, naming the task."""
    keys: set[str] = set()
    for task in tasks:
        if task.key is not None:
            if task.key in keys:
                raise InvalidTask(f"task {task.key!r}: the key is used by another task")
            keys.add(task.key)
    for index, task in enumerate(tasks):
        label = repr(task.key) if task.key is not None else f"#{index}"
        for dep in task.depends_on:
            if isinstance(dep, str) and dep not in keys:
                raise InvalidTask(f"task {label}: depends_on names unknown task {dep!r}")
            if dep == task.key:
                raise InvalidTask(f"task {label}: depends on itself")
    cycle = find_cycle({t.key: [d for d in t.depends_on if isinstance(d, str)]
                        for t in tasks if t.key is not None})
    if cycle:
        raise InvalidTask("dependency cycle: " + " -> ".join(repr(k) for k in cycle))


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in the graph as a list of keys (first == last), or None.

    Iterative depth-first search, so a long chain of dependencies cannot overflow the stack.
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in sorted(edges):
        if state.get(root):
            continue
        path: list[str] = [root]
        pending: list[list[str]] = [sorted(edges.get(root, []), reverse=True)]
        state[root] = 1
        while path:
            if not pending[-1]:
                state[path.pop()] = 2
                pending.pop()
                continue
            nxt = pending[-1].pop()
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                pending.append(sorted(edges.get(nxt, []), reverse=True))
    return None


def existing_reach(tasks: Sequence[NewTask]) -> list[set[int]]:
    """For each task of a checked batch, the ids of tasks already in the session that it
    depends on directly or through other tasks of the batch: where a search for a cycle
    that `before` would close starts."""
    by_key = {t.key: t for t in tasks if t.key is not None}
    reach: list[set[int]] = []
    for task in tasks:
        found: set[int] = set()
        pending, seen = [task], set()
        while pending:
            current = pending.pop()
            for dep in current.depends_on:
                if isinstance(dep, int):
                    found.add(dep)
                elif dep not in seen:
                    seen.add(dep)
                    pending.append(by_key[dep])
        reach.append(found)
    return reach
