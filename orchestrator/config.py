"""`.swarm/config.toml`: one validated model with every default in one place.

Command-line options only map onto this model (`with_overrides`); a bad value names the
file, the key and the reason.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from orchestrator.supervision import RoleWorkers
from taskqueue import SwarmError
from worker.config import WorkerSettings

CONFIG_FILE = "config.toml"


class ConfigError(SwarmError):
    """config.toml (or an option) has a bad value."""


def default_roles() -> dict[str, RoleWorkers]:
    return {
        "planner": RoleWorkers(workers=1),
        "researcher": RoleWorkers(workers=2),
        "analyst": RoleWorkers(workers=1),
        "architect": RoleWorkers(workers=1),
        "critic": RoleWorkers(workers=1),
        "coordinator": RoleWorkers(workers=1),
    }


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None


class SwarmConfig(BaseModel):
    """Everything a workspace can set."""

    model_config = ConfigDict(extra="forbid")

    roles: dict[str, RoleWorkers] = Field(default_factory=default_roles)
    max_attempts: int = Field(default=3, ge=1, le=100)
    task_timeout_s: float = Field(default=600.0, gt=0)
    lease_s: float = Field(default=10.0, gt=0)
    heartbeat_s: float = Field(default=1.0, gt=0)
    heartbeat_timeout_s: float = Field(default=10.0, gt=0)
    grace_s: float = Field(default=10.0, ge=0)
    max_rss_mb: float = Field(default=1024.0, gt=0)
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=60.0, ge=0)
    message_retention_s: float = Field(default=7 * 86400.0, gt=0)
    llm: LLMConfig = Field(default_factory=LLMConfig)

    @field_validator("roles", mode="after")
    @classmethod
    def _over_default_roles(cls, roles: dict[str, RoleWorkers]) -> dict[str, RoleWorkers]:
        # A file that sets [roles.researcher] keeps the other default roles.
        return {**default_roles(), **roles}

    def worker_settings(self) -> WorkerSettings:
        return WorkerSettings(
            lease_s=self.lease_s, heartbeat_s=self.heartbeat_s,
            default_timeout_s=self.task_timeout_s, max_rss_mb=self.max_rss_mb,
            grace_s=self.grace_s, retry_base_s=self.retry_base_s, retry_max_s=self.retry_max_s,
        )

    def with_worker_counts(self, counts: dict[str, int]) -> SwarmConfig:
        """A copy with `--workers ROLE=N` applied; N=0 leaves a role without workers."""
        roles = {name: role.model_copy() for name, role in self.roles.items()}
        for name, count in counts.items():
            current = roles.get(name, RoleWorkers(workers=0))
            roles[name] = current.model_copy(update={"workers": count})
        return self.model_copy(update={"roles": roles})


def load_config(home: Path) -> SwarmConfig:
    """Read `<home>/config.toml`, or the defaults when there is none."""
    path = home / CONFIG_FILE
    if not path.exists():
        return SwarmConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return parse_config(data, str(path))


def parse_config(data: dict[str, Any], source: str) -> SwarmConfig:
    try:
        return SwarmConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation(exc)}") from exc


def describe_validation(exc: ValidationError) -> str:
    """`key.path: reason` for each problem, the way a user would look for it in the file."""
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        problems.append(f"{key}: {reason}")
    return "; ".join(problems)
