"""A whole session on the Redis store: `swarm --store redis://... run` to its report."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import assert_clean_error, swarm

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_a_session_runs_to_its_report_on_redis(redis_url: str, tmp_path: Path) -> None:
    from taskqueue.redis import RedisStore

    async with await RedisStore.open(redis_url) as store:
        await store.flush()
    home = tmp_path / "home"

    finished = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "orchestrator", "--store", redis_url, "run",
         "How do leases work?", "--corpus", str(REPO / "corpus"), "--home", str(home)],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=False)

    assert finished.returncode == 0, finished.stderr[-2000:]
    report = Path(finished.stdout.strip().splitlines()[-1])
    assert report.is_file()
    assert report.read_text().strip()
    assert not (home / "swarm.db").exists(), "the queue must live in Redis, not the workspace"
    async with await RedisStore.open(redis_url) as store:
        [session] = await store.list_sessions()
        assert session.status == "done"


@pytest.mark.parametrize(("url", "named"), [
    ("redis://127.0.0.1:1/0", "store redis://127.0.0.1:1/0"),
    ("redis://:secret@nohost.invalid:6379/0", "store redis://:***@nohost.invalid:6379/0"),
    ("redix://127.0.0.1:6379/0", "store 'redix://127.0.0.1:6379/0'"),
])
def test_an_unreachable_or_wrong_store_url_is_exit_2_in_one_line_naming_it(
    tmp_path: Path, url: str, named: str
) -> None:
    result = swarm("--store", url, "run", "Why?", "--corpus", REPO / "corpus",
                   home=tmp_path / "home")
    assert_clean_error(result, named)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "secret" not in result.stderr
