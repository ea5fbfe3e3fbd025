"""Fuzzed `config.toml` (generated, damaged, or any text) through `load_config` and what
`run` builds from it: a config is refused with a message naming the file, or every worker
it asks for can be started from the command line the supervisor would give it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from orchestrator.config import load_config
from orchestrator.session_run import supervisor_config
from orchestrator.supervisor_config import worker_argv
from orchestrator.workspace import Workspace
from skills.llm import load_llm_config
from support import toml_text
from support.fuzzing import ANY_CHAR, FUZZ, assert_workspace_answers, corpus_of, swarm_cli
from taskqueue import Session, SessionStatus, SwarmError
from worker import cli as worker_cli
from worker.config import WorkerConfig

EDGES = st.sampled_from([0, -1, 2**63, 10**30, 0.0, -0.5, float("nan"), float("inf"), 1e-9])
NUMBERS = st.one_of(st.integers(0, 8), st.floats(0.05, 100), EDGES, st.integers(), st.floats())
VALUES = st.one_of(NUMBERS, st.booleans(), st.text(ANY_CHAR, max_size=10),
                   st.lists(st.integers(0, 3), max_size=2))
ROLE = st.fixed_dictionaries({}, optional={
    "workers": NUMBERS, "concurrency": NUMBERS, "extra": VALUES})
LLM = st.fixed_dictionaries({}, optional={
    "base_url": st.just("http://127.0.0.1:9/v1") | st.text(ANY_CHAR, max_size=12),
    "model": st.text(ANY_CHAR, max_size=8), "timeout_s": NUMBERS, "max_concurrent": NUMBERS,
    "temperature": NUMBERS, "stream": VALUES, "max_tokens": NUMBERS, "bogus": VALUES})
SETTINGS = ("max_attempts", "task_timeout_s", "lease_s", "heartbeat_s",
            "heartbeat_timeout_s", "grace_s", "max_rss_mb", "retry_base_s", "retry_max_s",
            "message_retention_s")
ROLE_NAMES = st.sampled_from(["researcher", "planner", "coordinator", "human", "critic", "x y"])
# What a person would write, in range: most of these are accepted.
SOUND = st.fixed_dictionaries({}, optional={
    "roles": st.dictionaries(ROLE_NAMES, st.fixed_dictionaries({}, optional={
        "workers": st.integers(0, 4), "concurrency": st.integers(1, 64)}), max_size=3),
    **{name: st.integers(1, 10) | st.floats(0.5, 100) for name in SETTINGS},
    "llm": st.fixed_dictionaries({}, optional={
        "base_url": st.just("http://127.0.0.1:9/v1"), "model": st.text(max_size=8),
        "temperature": st.floats(0, 2), "max_concurrent": st.integers(1, 4),
        "stream": st.booleans()}),
})
ANYTHING = st.fixed_dictionaries({}, optional={
    "roles": st.dictionaries(ROLE_NAMES | st.text(ANY_CHAR, max_size=6), ROLE, max_size=3),
    **{name: NUMBERS for name in SETTINGS},
    "llm": LLM, "unknown": VALUES,
})
CONFIGS = st.one_of(SOUND, ANYTHING)


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["config", "config", "damaged", "text"]))
    if kind == "text":
        return draw(st.text(ANY_CHAR, max_size=60))
    text = toml_text.document(draw(CONFIGS))
    if kind == "damaged":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(ANY_CHAR, max_size=3)) + text[at + draw(
            st.integers(0, 4)):]
    return text


@settings(FUZZ, max_examples=300)
@example(text='[roles.""]\n')  # was accepted: its worker could never start
@example(text='[roles."\\r"]\nworkers = 1.5\n')  # was an error message on two lines
@example(text="heartbeat_s = inf\n")  # was accepted: a worker that never beats looks hung
@given(text=config_texts())
def test_a_config_file_is_refused_with_a_message_or_its_workers_can_start(
    workspace: Workspace, text: str
) -> None:
    path = workspace.home / "config.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config = load_config(workspace.home, environ={})
    except SwarmError as exc:
        refusal = str(exc)
        event("refused")
        assert str(path) in refusal, refusal
    else:
        event("accepted")
        _check_workers_start(workspace, config.with_worker_counts({"researcher": 1}))
    # `run` reads the config first: a bad one is one line and exit 2, like a bad plan.
    code, out, err = swarm_cli(workspace, "run", "Fuzzed config", "--corpus",
                               str(corpus_of(workspace)), "--plan",
                               str(workspace.home.parent / "no-plan.toml"))
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert_workspace_answers(workspace)


def _check_workers_start(ws: Workspace, config: Any) -> None:
    session = Session(id="fuzz", request="x", status=SessionStatus.RUNNING, created_at=0.0)
    supervision = supervisor_config(ws, config, session)
    for role in supervision.roles:
        argv = worker_argv(supervision, role, f"{role}-fuzz", 1)
        options = dict(worker_cli.main.make_context("worker", argv[3:]).params)
        options["home"] = Path(options["home"])
        options["skills_dirs"] = list(options["skills_dirs"])
        WorkerConfig.model_validate(options)
    # A worker reads the model's settings from the environment the supervisor gives it.
    load_llm_config(ws.home, supervision.worker_env)
