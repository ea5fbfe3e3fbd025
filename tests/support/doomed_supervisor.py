"""A supervisor in a process of its own, for tests that SIGKILL it: it starts the workers
of role `r` for a session, prints their pids as a JSON line once they have registered,
then waits to be killed."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

from support.swarm_processes import HANG_S, Swarm

SUPERVISOR_SCRIPT = """
    import asyncio
    import json
    import sys
    from pathlib import Path

    from orchestrator.supervisor_config import RoleWorkers, SupervisorConfig, WorkerSettings
    from orchestrator.supervisor import Supervisor
    from taskqueue import SqliteStore


    async def main() -> None:
        home, session_id, skills_dir = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
        workers = int(sys.argv[4])
        store = await SqliteStore.open(home / "swarm.db", sender="doomed-supervisor")
        config = SupervisorConfig(
            home=home, session_id=session_id, skills_dirs=[skills_dir],
            roles={"r": RoleWorkers(workers=workers)},
            worker=WorkerSettings(heartbeat_s=0.2, lease_s=30.0, grace_s=30.0),
            heartbeat_timeout_s=3.0,
        )
        supervisor = Supervisor(config, store)
        await supervisor.start()
        while len(await store.list_workers()) < workers:
            await store.wait_for_news(0.2)
        print(json.dumps([slot.process.pid for slot in supervisor.slots]), flush=True)
        await asyncio.sleep(3600)


    asyncio.run(main())
"""


async def start_doomed_supervisor(
    swarm: Swarm, tmp_path: Path, workers: int
) -> tuple[asyncio.subprocess.Process, list[int]]:
    """The supervisor process and its workers' pids, once they have registered."""
    script = tmp_path / "supervise.py"
    script.write_text(textwrap.dedent(SUPERVISOR_SCRIPT), encoding="utf-8")
    with open(tmp_path / "supervisor.log", "wb") as log:
        supervisor = await asyncio.create_subprocess_exec(
            sys.executable, str(script), str(swarm.home), swarm.session_id,
            str(swarm.skills_dir), str(workers), stdout=asyncio.subprocess.PIPE, stderr=log)
    assert supervisor.stdout is not None
    try:
        pids: list[int] = json.loads(
            await asyncio.wait_for(supervisor.stdout.readline(), HANG_S))
    except BaseException:
        supervisor.kill()
        await supervisor.wait()
        raise
    return supervisor, pids
