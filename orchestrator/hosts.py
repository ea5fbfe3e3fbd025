"""Serving workers on a host: `swarm serve` keeps workers of chosen roles alive for every
session of a store, so that a `run --no-workers` anywhere finds its tasks claimed.

The supervisor does the work: a configuration without a session makes its workers claim
from every session; it restarts crashed workers and releases a dead worker's tasks at
once. A role whose workers keep crashing here has its ready tasks failed, in every
session no healthy worker elsewhere serves it in (orchestrator/crash_loops.py), so that
a `run --no-workers` ends with the reason instead of waiting. A host that goes silent
altogether loses its tasks when their leases expire (any other supervisor of the store
takes them back).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestrator.config import SwarmConfig
from orchestrator.crash_loops import fail_served_tasks_of_crashing_roles
from orchestrator.session_run import release_leases_of_dead_workers
from orchestrator.supervisor import Supervisor
from orchestrator.supervisor_config import SupervisorConfig
from orchestrator.workspace import Workspace
from taskqueue import HUMAN_ROLE, SwarmError

logger = logging.getLogger(__name__)


def serve_config(ws: Workspace, config: SwarmConfig, chosen_roles: Sequence[str],
                 skills_dirs: Sequence[Path]) -> SupervisorConfig:
    """The supervisor's configuration for `serve`: the chosen roles (every role when
    none is chosen) with their worker counts, for every session of the store."""
    roles = {name: role for name, role in config.roles.items()
             if (not chosen_roles or name in chosen_roles)
             and role.workers > 0 and name != HUMAN_ROLE}
    if not roles:
        raise SwarmError("serve: no role has workers to keep; give --workers ROLE=N")
    return SupervisorConfig(
        home=ws.home, session_id=None, roles=roles, store=ws.configured_store(),
        skills_dirs=[d.absolute() for d in skills_dirs], worker=config.worker_settings(),
        heartbeat_timeout_s=config.heartbeat_timeout_s,
        worker_env=config.llm.to_environment(),
    )


async def serve(ws: Workspace, config: SupervisorConfig,
                announce: Callable[[Supervisor], None]) -> None:
    """Keep the configured workers alive until SIGINT or SIGTERM, then stop them all."""
    store = await ws.open_store(sender="serve")
    try:
        await release_leases_of_dead_workers(store)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        supervisor = Supervisor(config, store, on_failure=stop.set)
        sweep: asyncio.Task[None] | None = None
        try:
            await supervisor.start()
            sweep = asyncio.create_task(fail_served_tasks_of_crashing_roles(
                store, supervisor, config.heartbeat_timeout_s), name="crash-loop-sweep")
            announce(supervisor)
            await stop.wait()
        finally:
            if sweep is not None:
                sweep.cancel()
            await asyncio.shield(supervisor.stop())
        if supervisor.failure is not None:
            raise supervisor.failure
    finally:
        await store.close()
