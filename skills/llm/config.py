"""The model server's settings: `[llm]` in config.toml, overridden by `SWARM_LLM_*`.

Every field `name` has the environment variable `SWARM_LLM_<NAME>` (`SWARM_LLM_BASE_URL`,
`SWARM_LLM_MODEL`, `SWARM_LLM_API_KEY`, `SWARM_LLM_RECORD` …). The supervisor hands the
settings it resolved to its workers the same way, through their environment, never their
command line: an API key on a command line is visible to every user in `ps`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from taskqueue import SwarmError, describe_validation

__all__ = ["ENV_PREFIX", "LLMConfig", "LLMConfigError", "load_llm_config"]

ENV_PREFIX = "SWARM_LLM_"


class LLMConfigError(SwarmError):
    """A model setting has a bad value; the message names where it was set."""


class LLMConfig(BaseModel):
    """How to reach the model server and how hard to use it. Offline unless `base_url`
    (or a `replay` file) is set."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    # Seconds to connect, and between two pieces of an answer.
    timeout_s: float = Field(default=60.0, gt=0)
    # One request's whole time; also the lease of its call slot.
    max_call_s: float = Field(default=600.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=20)
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=30.0, ge=0)
    # A server asking to wait longer than this (Retry-After) is taken to be unavailable.
    max_retry_after_s: float = Field(default=120.0, ge=0)
    # After the server could not be reached, calls fail at once for this long.
    down_for_s: float = Field(default=15.0, ge=0)
    # Limits shared by every worker process of the workspace; None: no limit.
    max_concurrent: int | None = Field(default=2, ge=1)
    requests_per_minute: int | None = Field(default=None, ge=1)
    # Tokens in and out that one session may use; None: no limit.
    session_token_budget: int | None = Field(default=None, ge=1)
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    stream: bool = True
    # Record every call's request and answer to this JSONL file, or answer from it.
    record: Path | None = None
    replay: Path | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        """An http(s) URL with a host, or unset: any other value fails every call."""
        if url is None or not url.strip():
            return url
        if any(char.isspace() or not char.isprintable() for char in url):
            raise ValueError(f"{url!r} is not a URL: it holds a space or control character")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL with a host, "
                             "e.g. http://127.0.0.1:8080/v1")
        try:
            parts.port  # noqa: B018 - raises for a port that is not a number or too big
        except ValueError as exc:
            raise ValueError(f"{url!r}: {exc}") from exc
        return url

    @property
    def enabled(self) -> bool:
        return bool(self.base_url) or self.replay is not None

    def with_environment(self, environ: Mapping[str, str]) -> LLMConfig:
        """A copy with every `SWARM_LLM_*` variable that is set (and not empty) applied."""
        given = {name: environ[ENV_PREFIX + name.upper()] for name in LLMConfig.model_fields
                 if environ.get(ENV_PREFIX + name.upper(), "").strip()}
        if not given:
            return self
        try:
            return LLMConfig.model_validate({**self.model_dump(exclude_unset=True), **given})
        except ValidationError as exc:
            raise LLMConfigError(_describe(exc, lambda key: ENV_PREFIX + key.upper())) from exc

    def to_environment(self) -> dict[str, str]:
        """The settings as `SWARM_LLM_*` variables (only those set), for a worker."""
        values = self.model_dump(mode="json", exclude_unset=True)
        return {ENV_PREFIX + name.upper(): _env_value(value) for name, value in values.items()
                if value is not None}


def load_llm_config(home: Path, environ: Mapping[str, str]) -> LLMConfig:
    """`[llm]` of `<home>/config.toml` (if any), then the environment over it.

    A worker reads its settings here; one started by the supervisor finds them all in
    its environment, one started by hand may rely on the workspace's file.
    """
    path = home / "config.toml"
    table: Any = {}
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("llm", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LLMConfigError(f"{path}: cannot be read ({exc})") from exc
    try:
        config = LLMConfig.model_validate(table)
    except ValidationError as exc:
        raise LLMConfigError(f"{path}: " + _describe(exc, lambda key: f"llm.{key}")) from exc
    return config.with_environment(environ)


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _describe(exc: ValidationError, name: Callable[[str], str]) -> str:
    return describe_validation(
        exc, lambda loc: name(".".join(str(part) for part in loc) or "(all)"))
