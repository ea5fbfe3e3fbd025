"""A role whose workers keep crashing under `swarm serve` fails its tasks there, so the
`run --no-workers` it serves ends with the reason instead of waiting for a worker
(`worker_wait_s`, 600 s) that never lasts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import REPO, cli_env, swarm
from support.swarm_processes import write_skill

# Loads in the command line, then exits in every worker (`python -m worker`): as a file
# that behaves differently in a worker's environment would.
EXITS_IN_WORKERS = """
    import os
    import sys

    if os.path.basename(os.path.dirname(sys.argv[0])) == "worker":
        os._exit(3)
"""

# Only stops a hang: the run ends in well under a minute, and waits 600 s without the sweep.
HANG_S = 240


async def _flush(redis_url: str) -> None:
    from taskqueue.redis import RedisStore

    async with await RedisStore.open(redis_url) as store:
        await store.flush()


@pytest.mark.slow
@pytest.mark.timeout(2 * HANG_S)
def test_workers_crashing_under_serve_fail_their_tasks_and_end_the_run(
    redis_url: str, tmp_path: Path,
) -> None:
    asyncio.run(_flush(redis_url))
    skills = write_skill(tmp_path / "skills", "boom", EXITS_IN_WORKERS).parent
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "leases.md").write_text("A lease expires.\n", encoding="utf-8")
    serving_home = tmp_path / "serving-host"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serving = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "--store", redis_url, "serve",
             "--workers", "planner=1", "--skills-dir", str(skills),
             "--home", str(serving_home)],
            stdout=log, stderr=log, cwd=REPO, env=cli_env(), start_new_session=True)
    try:
        result = swarm("--store", redis_url, "run", "How do leases expire?", "--no-workers",
                       "--skills-dir", skills, "--corpus", corpus,
                       home=tmp_path / "orchestrator-host", timeout=HANG_S)
    finally:
        os.killpg(serving.pid, signal.SIGTERM)
        code = serving.wait(timeout=HANG_S)
    served = log_path.read_text(encoding="utf-8", errors="replace")

    assert result.returncode == 1, (result.stdout, result.stderr, served[-2000:])
    assert "Traceback" not in result.stderr
    assert ("no report was written: the synthesis did not run; #1 planner/plan (failed): "
            "workers of role 'planner' keep crashing: worker planner.0-") in result.stderr
    assert "exited with status 3" in result.stderr
    # The serving host went on until stopped, and stopped cleanly.
    assert code == 0, served[-2000:]
    assert "Traceback" not in served
