"""Fuzzed plan files (`--plan`, TOML and JSON, valid and broken) through `prepare` and
session creation: a plan is taken whole or refused with a message naming the file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from orchestrator.session_start import RunOptions, create_session, prepare
from orchestrator.workspace import Workspace
from support import toml_text
from support.fuzzing import ANY_CHAR, FUZZ, assert_workspace_answers, corpus_of, open_store
from taskqueue import SwarmError

IDS = st.one_of(st.sampled_from(["scan", "a", "b", "t-1", "x.y"]),
                st.text("abz_.-é /", max_size=6))
# The edges of what JSON, TOML and SQLite can hold, besides anything at all.
EDGE_INTEGERS = st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**100])
EDGE_FLOATS = st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), EDGE_INTEGERS, st.floats(),
                    EDGE_FLOATS, st.text(ANY_CHAR, max_size=12))
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(ANY_CHAR, max_size=6), inner, max_size=3), max_leaves=8)
TASKS = st.fixed_dictionaries(
    {"id": IDS, "role": st.sampled_from(
        ["researcher", "analyst", "critic", "architect", "coordinator", "human", "nobody",
         ""])},
    optional={
        "skill": st.none() | st.sampled_from(
            ["research", "analyze", "critique", "noop", "synthesize", "plan", "nosuch"]),
        "title": st.text(ANY_CHAR, max_size=30),
        "priority": st.integers() | EDGE_INTEGERS | st.floats(allow_nan=True),
        "depends_on": st.lists(IDS, max_size=3),
        "max_attempts": st.integers(-1, 200),
        "timeout_s": st.floats() | st.integers(-5, 5),
        "input": st.dictionaries(st.text(ANY_CHAR, max_size=8), JSON_VALUES, max_size=4),
        "extra": st.integers(),
    })


@st.composite
def sound_plans(draw: st.DrawFn) -> dict[str, Any]:
    """Plans a user could mean: valid ids, roles with workers, dependencies on earlier
    tasks; titles, priorities and inputs anything at all."""
    ids = draw(st.lists(st.from_regex(r"[A-Za-z0-9_.-]{1,8}", fullmatch=True),
                        min_size=1, max_size=5, unique=True))
    tasks = []
    for index, task_id in enumerate(ids):
        task: dict[str, Any] = {
            "id": task_id,
            "role": draw(st.sampled_from(["researcher", "analyst", "critic", "architect"])),
            "title": draw(st.text(ANY_CHAR, max_size=30)),
            "priority": draw(st.integers(-(2**63), 2**63 - 1) | EDGE_INTEGERS),
            "input": draw(st.dictionaries(st.text(ANY_CHAR, max_size=8), JSON_VALUES,
                                          max_size=4)),
        }
        if index:
            task["depends_on"] = draw(st.lists(st.sampled_from(ids[:index]), unique=True,
                                               max_size=2))
        tasks.append(task)
    return {"tasks": tasks}


@st.composite
def one_field_wrong(draw: st.DrawFn) -> dict[str, Any]:
    plan = draw(sound_plans())
    task = draw(st.sampled_from(plan["tasks"]))
    wrong = draw(TASKS)
    field = draw(st.sampled_from(sorted(wrong)))
    task[field] = wrong[field]
    return plan


PLANS = st.one_of(
    sound_plans(), one_field_wrong(),
    st.fixed_dictionaries({"tasks": st.lists(TASKS, max_size=5)}),
    st.dictionaries(st.sampled_from(["tasks", "plan", "version"]), JSON_VALUES, max_size=2),
)


def render(plan: dict[str, Any], suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(plan, ensure_ascii=False)
    try:
        return toml_text.document(plan)
    except TypeError:
        return json.dumps(plan)


@st.composite
def plan_texts(draw: st.DrawFn) -> tuple[str, str]:
    """(suffix, text): a generated plan, as written or damaged, or any text at all."""
    suffix = draw(st.sampled_from([".toml", ".json", ".toml", ".json", ".yaml"]))
    kind = draw(st.sampled_from(["plan", "plan", "damaged", "text"]))
    if kind == "text":
        return suffix, draw(st.text(ANY_CHAR, max_size=80))
    text = render(draw(PLANS), suffix)
    if kind == "damaged" and text:
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 5))
        text = text[:at] + draw(st.text(ANY_CHAR, max_size=3)) + text[at + cut:]
    return suffix, text


@settings(FUZZ, max_examples=300)
# Was a pydantic ValidationError (a traceback from `swarm run --plan`).
@example(case=(".toml", '[[tasks]]\nid = "a"\nrole = "researcher"\npriority = 2147483648\n'
                        .replace("2147483648", str(2**63))))
@given(case=plan_texts())
def test_a_plan_file_is_taken_whole_or_refused_with_a_message(
    workspace: Workspace, case: tuple[str, str]
) -> None:
    suffix, text = case
    path = workspace.home.parent / f"plan{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        request, options = prepare(workspace, workspace.config(), "Fuzzed plan",
                                   RunOptions(corpus=corpus_of(workspace), plan=path))
    except SwarmError as exc:
        refusal = str(exc)
        event(f"refused: {refusal.split(': ')[1][:30] if ': ' in refusal else refusal[:30]}")
        assert str(path) in refusal, refusal
        assert_workspace_answers(workspace)
        return
    event("accepted")
    session_id = asyncio.run(_start(workspace, request, options))
    assert_workspace_answers(workspace, session_id)


async def _start(ws: Workspace, request: str, options: RunOptions) -> str:
    store = await open_store(ws)
    try:
        session = await create_session(ws, store, request, options)
        tasks = await store.list_tasks(session.id)
        assert len(tasks) == len(options.initial_tasks)
        assert ws.board(session.id).read("plan.md").body
        return session.id
    finally:
        await store.close()


def test_plan_files_fuzz_helpers_render_toml(tmp_path: Path) -> None:
    import tomllib

    plan = {"tasks": [{"id": "a", "role": "researcher", "input": {"q": "x", "n": [1, 2.5]}}]}
    assert tomllib.loads(render(plan, ".toml")) == plan
