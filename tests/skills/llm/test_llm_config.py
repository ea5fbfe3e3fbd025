"""The model's settings: config.toml's `[llm]`, `SWARM_LLM_*` over it, and the
environment a worker is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import load_config
from orchestrator.supervisor_config import RoleWorkers, SupervisorConfig, worker_argv
from skills.llm import LLMConfig, LLMConfigError, load_llm_config


def test_unset_means_offline() -> None:
    assert not LLMConfig().enabled
    assert LLMConfig(base_url="http://127.0.0.1:11434/v1").enabled
    assert LLMConfig(replay=Path("tape.jsonl")).enabled


def test_environment_overrides_the_file_and_blank_variables_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[llm]\nbase_url = "http://file:1/v1"\nmodel = "from-file"\nmax_concurrent = 3\n')

    config = load_llm_config(tmp_path, {"SWARM_LLM_MODEL": "from-env",
                                        "SWARM_LLM_API_KEY": "  ",
                                        "SWARM_LLM_SESSION_TOKEN_BUDGET": "5000"})

    assert (config.base_url, config.model, config.api_key) == (
        "http://file:1/v1", "from-env", None)
    assert (config.max_concurrent, config.session_token_budget) == (3, 5000)


def test_the_orchestrator_reads_the_same_settings(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[llm]\nmodel = "m"\n')

    config = load_config(tmp_path, {"SWARM_LLM_BASE_URL": "http://127.0.0.1:9/v1"})

    assert (config.llm.base_url, config.llm.model) == ("http://127.0.0.1:9/v1", "m")


def test_a_bad_value_names_the_variable_or_the_key(tmp_path: Path) -> None:
    with pytest.raises(LLMConfigError, match="SWARM_LLM_MAX_CONCURRENT"):
        LLMConfig().with_environment({"SWARM_LLM_MAX_CONCURRENT": "lots"})
    (tmp_path / "config.toml").write_text("[llm]\ntimeout = 3\n")
    with pytest.raises(LLMConfigError, match=r"llm\.timeout: unknown key"):
        load_llm_config(tmp_path, {})


def test_a_worker_gets_only_what_was_set_and_the_key_stays_out_of_reprs() -> None:
    config = LLMConfig(base_url="http://h/v1", api_key="sk-secret", stream=False)

    assert config.to_environment() == {"SWARM_LLM_BASE_URL": "http://h/v1",
                                       "SWARM_LLM_API_KEY": "sk-secret",
                                       "SWARM_LLM_STREAM": "false"}
    assert LLMConfig().with_environment(config.to_environment()) == config
    assert "sk-secret" not in repr(config)


def test_the_api_key_reaches_workers_by_environment_never_by_command_line(
    tmp_path: Path,
) -> None:
    config = SupervisorConfig(home=tmp_path, roles={"researcher": RoleWorkers()},
                              worker_env=LLMConfig(api_key="sk-secret").to_environment())

    argv = worker_argv(config, "researcher", "researcher.0", 1)

    assert config.worker_env == {"SWARM_LLM_API_KEY": "sk-secret"}
    assert not any("sk-secret" in arg for arg in argv)
    assert "sk-secret" not in repr(config)
