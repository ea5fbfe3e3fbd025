"""A worker imports a feature's modules when it uses the feature, not at start: a worker
that has run only a plain task has not imported the code that cuts files, runs an agent
or a command skill, reads corpus snapshots or talks to a model. An idle worker's memory
is mostly its imports (docs/benchmarks.md, `idle_worker_rss_mb`)."""

from __future__ import annotations

import json
from pathlib import Path

from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus

LOADED = """
    import sys

    class Loaded:
        def execute(self, names: list[str]) -> list[str]:
            return [name for name in names if name in sys.modules]
"""

# Each is imported where its feature is used; none is used by the task below.
USED_ONLY_BY_A_FEATURE = [
    # cutting files into passages: a corpus index's refresh
    "skills.offline.chunking", "skills.offline.code_passages",
    "skills.offline.python_passages", "skills.offline.doc_passages", "tree_sitter",
    # running an agent
    "skills.agents.loop", "skills.agents.steps",
    # a command skill configured in config.toml
    "skills.commands.skill", "skills.commands.process", "skills.commands.worktree",
    # a corpus read as a snapshot, on a host that shares only the store
    "skills.corpus_snapshots", "skills.offline.snapshot",
    # a model
    "skills.llm.endpoint", "httpx2",
    # the change watcher where inotify is missing
    "watchfiles",
]


async def test_a_worker_has_not_imported_the_features_it_has_not_used(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("loaded", LOADED)
        [task_id] = await swarm.enqueue(
            NewTask(role="r", skill="loaded", input={"names": USED_ONLY_BY_A_FEATURE}))
        await swarm.start_worker("r")

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status == TaskStatus.DONE, await swarm.describe()
        fenced = swarm.output_of(task).body
        assert json.loads(fenced.removeprefix("```json\n").removesuffix("```\n")) == []
