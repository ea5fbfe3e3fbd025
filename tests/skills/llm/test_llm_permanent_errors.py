"""A model setting that can never work is refused where it is set, and an error that no
retry can pass is raised at once: only what may pass (timeouts, 408, 429, 5xx, a
refused connection) is tried again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.config import ConfigError, load_config
from skills.llm import LLMConfig, LLMConfigError, LLMMisconfigured, ModelEndpoint
from skills.roles import goes_on_when_budget_spent
from support.fake_llm import fast_config
from taskqueue import SqliteStore

ASK = [{"role": "user", "content": "Hi?"}]
BAD_URLS = ["not a url", "ftp://127.0.0.1/v1", "http://", "http:///v1", "127.0.0.1:8080/v1",
            "http://exa mple.com/v1", "http://host:99999/v1", "http://host:port/v1",
            "http://host/\x00"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_base_url_that_is_no_http_url_is_refused_in_config_toml(tmp_path: Path, url: str
                                                                ) -> None:
    # JSON's string escapes are TOML's: the NUL goes in as \u0000.
    (tmp_path / "config.toml").write_text(f"[llm]\nbase_url = {json.dumps(url)}\n")
    with pytest.raises(ConfigError, match=r"config\.toml: llm\.base_url: .*(URL|[Pp]ort)"):
        load_config(tmp_path, environ={})


def test_base_url_from_the_environment_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(LLMConfigError, match=r"SWARM_LLM_BASE_URL: .*not a URL"):
        load_config(tmp_path, environ={"SWARM_LLM_BASE_URL": "not a url"})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "https://models.local/v1",
                                 "http://[::1]:11434/v1", ""])
def test_http_urls_and_unset_are_taken(url: str) -> None:
    assert LLMConfig(base_url=url).base_url == url


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/v1"])
async def test_a_request_that_cannot_be_sent_is_not_retried(
    store: SqliteStore, url: str
) -> None:
    # Past the model's check (a copy is not validated): the transport must still not retry.
    config = fast_config("http://127.0.0.1:9/v1", max_retries=20,
                         retry_base_s=600.0).model_copy(update={"base_url": url})
    model = ModelEndpoint(config, store, owner="test", keeps_running=goes_on_when_budget_spent)
    try:
        # A retry would wait 600 s first; LLMMisconfigured is raised by the first attempt.
        with pytest.raises(LLMMisconfigured, match="cannot be sent"):
            await model.complete(ASK)
    finally:
        await model.close()
