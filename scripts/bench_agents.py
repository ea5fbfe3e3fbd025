"""Agents: the tool loop's own cost per step, and many agent tasks against a slow model.

    python scripts/bench_agents.py [--quick] [--repeat N] [--json]
    python scripts/bench.py --only agents          (the same figures in the suite)

Both parts run agent tasks as a worker does (claimed from a real store, `run_skill` with a
real `TaskContext` and blackboard, completed), in one process (the model server in another):

- per step: a model that answers at once, in-process, calls a tool every step; the time
  between one model call and the next is swarm's own work for a step (the tool's
  dispatch, the trace written to the blackboard, `agent_step` on the bus, progress). Also
  measured with the trace's writes skipped, to show their share. Target: <= 5 ms.
- efficiency: 256 tasks of 4 steps each against a model server on 127.0.0.1 (a process
  of its own) that answers every call after 200 ms, through the real model client with
  its shared call slots.
  `concurrency` tasks run at once (a worker's slots) and the call slots allow as many
  (`max_concurrent`), so the ideal is tasks x steps x 0.2 s / concurrency. Target: >= 80 %.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import queue
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _bench_util import BenchFailed, add_repeat_option, settle_repeat, workdir

from blackboard import Blackboard
from skills import SkillRegistry, TaskContext, run_skill
from skills.agents.steps import Trace
from skills.llm import ChatMessage, ChatResult, LLMConfig, ModelEndpoint, ToolCall
from skills.roles import goes_on_when_budget_spent
from skills.workspace_skills import parse_workspace_skills
from taskqueue import NewTask, SqliteStore, Task

ROLE = "investigator"
SEED = "notes/seed.md"
MODEL_DELAY_S = 0.2
TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Sizes:
    step_tasks: int
    steps: int
    tasks: int
    task_steps: int
    concurrency: int


FULL = Sizes(step_tasks=20, steps=20, tasks=256, task_steps=4, concurrency=64)
QUICK = Sizes(step_tasks=3, steps=5, tasks=16, task_steps=2, concurrency=8)


def next_call(messages: list[ChatMessage], steps: int) -> ToolCall:
    """Read the seed file until the last step, then finish."""
    done = sum(1 for m in messages if m.get("role") == "tool")
    if done + 1 >= steps:
        return ToolCall(id=f"c{done}", name="finish", arguments='{"summary": "done"}')
    return ToolCall(id=f"c{done}", name="read_blackboard", arguments=json.dumps({"path": SEED}))


class InstantModel:
    """A model that answers at once and notes when it was asked."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.asked_at: list[float] = []

    @property
    def model_name(self) -> str:
        return "instant"

    async def chat(self, messages: list[ChatMessage], *, json_mode: bool = False,
                   tools: list[dict[str, Any]] | None = None) -> ChatResult:
        self.asked_at.append(time.perf_counter())
        return ChatResult(text="", tool_calls=(next_call(messages, self.steps),),
                          tokens_in=100, tokens_out=10)

    async def session_usage(self) -> Any:
        raise NotImplementedError


@dataclass
class Session:
    store: SqliteStore
    board: Blackboard
    session_id: str
    registry: SkillRegistry


@asynccontextmanager
async def agent_session(home: Path, max_steps: int) -> AsyncIterator[Session]:
    store = await SqliteStore.open(home / "swarm.db", sender="bench")
    try:
        session = await store.create_session("bench agents", {})
        board = Blackboard(home / "blackboard", session.id)
        board.create()
        board.write(SEED, "# Seed\n\nA file the agents read.\n")
        registry = SkillRegistry()
        registry.add_builtins()
        registry.add_configured(parse_workspace_skills({"roles": {ROLE: {
            "skill": "agent", "tools": ["read_blackboard", "finish"],
            "max_steps": max_steps}}}, str(home / "config.toml")))
        yield Session(store, board, session.id, registry)
    finally:
        await store.close()


async def run_task(session: Session, task: Task, model: Callable[[Task], Any]) -> None:
    """One claimed task as a worker runs it."""
    ctx = TaskContext(session.store, task, worker_id="bench", skill="agent",
                      board=session.board)
    ctx.llm = model(task)
    result = await run_skill(session.registry.for_task(task.skill, task.role), ctx,
                             timeout_s=TIMEOUT_S)
    await ctx.blackboard.drain()
    if not result.data.get("finished"):
        raise BenchFailed(f"task {task.id} did not finish: {result.summary}")
    await session.store.complete(task.id, task.attempt)


async def claim(session: Session, count: int) -> list[Task]:
    await session.store.enqueue_plan(session.session_id, [
        NewTask(key=f"a{n}", role=ROLE, input={"goal": "Read the seed."})
        for n in range(count)])
    return await session.store.claim("bench", [ROLE], count, lease_s=TIMEOUT_S,
                                     session_id=session.session_id)


@contextmanager
def trace_writes_skipped() -> Iterator[None]:
    """The trace kept in memory only: what is left is the loop without its file writes."""
    originals = {name: getattr(Trace, name) for name in ("open", "save", "keep_step")}

    async def skip(_trace: Trace, *_args: object) -> None:
        return None

    def skip_opening(_trace: Trace) -> None:
        return None

    for name in originals:
        setattr(Trace, name, skip_opening if name == "open" else skip)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(Trace, name, original)


async def step_gaps_ms(home: Path, sizes: Sizes) -> list[float]:
    """The time between consecutive model calls of each task, in ms."""
    gaps: list[float] = []
    async with agent_session(home, sizes.steps) as session:
        for task in await claim(session, sizes.step_tasks):
            model = InstantModel(sizes.steps)

            def instant(_task: Task, chosen: InstantModel = model) -> InstantModel:
                return chosen

            await run_task(session, task, instant)
            gaps += [1000 * (b - a) for a, b in itertools.pairwise(model.asked_at)]
    if len(gaps) != sizes.step_tasks * (sizes.steps - 1):
        raise BenchFailed(f"expected {sizes.step_tasks * (sizes.steps - 1)} steps, saw "
                          f"{len(gaps)}")
    return gaps


def step_overhead(tmp: Path, sizes: Sizes) -> dict[str, float]:
    """Per-step cost of swarm's loop with the model excluded: median and p90, and the
    median with the trace's writes skipped."""
    with workdir(tmp, "agent-steps") as home:
        gaps = asyncio.run(step_gaps_ms(home, sizes))
    with workdir(tmp, "agent-steps-untraced") as home, trace_writes_skipped():
        untraced = asyncio.run(step_gaps_ms(home, sizes))
    return {"agent_step_overhead_ms": statistics.median(gaps),
            "agent_step_overhead_p90_ms": statistics.quantiles(gaps, n=10)[-1],
            "agent_step_untraced_ms": statistics.median(untraced)}


def completion(messages: list[ChatMessage], steps: int) -> bytes:
    call = next_call(messages, steps)
    return json.dumps({
        "id": "bench", "object": "chat.completion", "model": "bench",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [{
                "id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": call.arguments}}]}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10}}).encode()


class SlowModelServer:
    """An OpenAI-compatible server on 127.0.0.1 that answers every call after `delay_s`,
    in a process of its own, so that it shares neither the agents' event loop nor their
    interpreter lock: the server is never what the figure measures."""

    def __init__(self, steps: int, delay_s: float) -> None:
        self.steps = steps
        self.delay_s = delay_s
        self.port = 0
        self._calls = multiprocessing.Value("i", 0)
        self._ports: multiprocessing.Queue[int] = multiprocessing.Queue()
        self._process = multiprocessing.Process(
            target=serve_slowly, args=(steps, delay_s, self._calls, self._ports), daemon=True)

    def __enter__(self) -> SlowModelServer:
        self._process.start()
        try:
            self.port = self._ports.get(timeout=30)
        except queue.Empty:
            raise BenchFailed("the model server did not start") from None
        return self

    def __exit__(self, *_exc: object) -> None:
        self._process.terminate()
        self._process.join(10)

    @property
    def calls(self) -> int:
        return int(self._calls.value)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def serve_slowly(steps: int, delay_s: float, calls: Any, ports: Any) -> None:
    """The server process: answer until terminated."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = json.loads(await reader.readexactly(length))
                await asyncio.sleep(delay_s)
                with calls.get_lock():
                    calls.value += 1
                answer = completion(body["messages"], steps)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(answer) + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=1024)
        ports.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


async def run_many(home: Path, sizes: Sizes, url: str) -> float:
    """Seconds for every task, `sizes.concurrency` at a time, against the model at `url`."""
    config = LLMConfig(base_url=url, model="bench", stream=False,
                       max_concurrent=sizes.concurrency, timeout_s=60.0)
    async with agent_session(home, sizes.task_steps) as session:
        endpoint = ModelEndpoint(config, session.store, owner="bench",
                                 keeps_running=goes_on_when_budget_spent)
        try:
            tasks = await claim(session, sizes.tasks)
            slots = asyncio.Semaphore(sizes.concurrency)

            async def one(task: Task) -> None:
                async with slots:
                    await run_task(session, task, endpoint.for_task)

            started = time.perf_counter()
            await asyncio.gather(*(one(t) for t in tasks))
            return time.perf_counter() - started
        finally:
            await endpoint.close()


def efficiency(tmp: Path, sizes: Sizes) -> dict[str, float]:
    """256 agent tasks against a 200 ms model: the share of the ideal time reached."""
    with SlowModelServer(sizes.task_steps, MODEL_DELAY_S) as server, \
            workdir(tmp, "agent-tasks") as home:
        wall_s = asyncio.run(run_many(home, sizes, server.url))
    if server.calls != sizes.tasks * sizes.task_steps:
        raise BenchFailed(f"expected {sizes.tasks * sizes.task_steps} model calls, the "
                          f"server saw {server.calls}")
    ideal_s = sizes.tasks * sizes.task_steps * MODEL_DELAY_S / sizes.concurrency
    return {"agents_wall_s": wall_s, "agents_ideal_s": ideal_s,
            "agents_efficiency_percent": 100 * ideal_s / wall_s,
            "agents_concurrency": float(sizes.concurrency)}


def measure(tmp: Path, sizes: Sizes) -> dict[str, float]:
    return {**step_overhead(tmp, sizes), **efficiency(tmp, sizes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a check")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    add_repeat_option(parser)
    args = parser.parse_args(argv)
    settle_repeat(parser, args)
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="swarm-bench-agents-") as tmp:
        rounds = [measure(Path(tmp), sizes) for _ in range(args.repeat)]
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(f"{len(rounds)} round(s); medians; {sizes}")
    for key, value in medians.items():
        print(f"{key:32} {value:10.2f}")
    if args.json:
        print(json.dumps({key: float(f"{value:.4g}") for key, value in medians.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
