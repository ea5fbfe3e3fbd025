"""The agents benchmark (scripts/bench_agents.py) at a tiny size: the loop's steps are
timed with an instant model, and agent tasks finish against the slow model server with
every call it should see. Figures are not checked against any speed."""

from __future__ import annotations

import json
from pathlib import Path

import bench_agents
import pytest

TINY = bench_agents.Sizes(step_tasks=2, steps=3, tasks=4, task_steps=2, concurrency=2)


def test_the_benchmark_measures_steps_and_tasks_at_a_tiny_size(tmp_path: Path) -> None:
    figures = bench_agents.measure(tmp_path, TINY)

    assert set(figures) == {
        "agent_step_overhead_ms", "agent_step_overhead_p90_ms", "agent_step_untraced_ms",
        "agents_wall_s", "agents_ideal_s", "agents_efficiency_percent", "agents_concurrency"}
    assert figures["agents_ideal_s"] == pytest.approx(4 * 2 * 0.2 / 2)
    assert figures["agents_concurrency"] == 2
    assert all(value > 0 for value in figures.values())


def test_the_model_server_answers_with_the_next_tool_call() -> None:
    messages = [{"role": "user", "content": "g"}, {"role": "tool", "content": "x"}]

    answer = json.loads(bench_agents.completion(messages, steps=2))

    [call] = answer["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "finish"
