"""`.swarm/config.toml`: one validated model with every default in one place.

Command-line options only map onto this model (`with_overrides`); a bad value names the
file, the key and the reason.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from orchestrator.supervision import RoleWorkers
from skills.llm import LLMConfig
from skills.offline.chase import ChaseLimits
from skills.roles import ROLES
from taskqueue import SwarmError, describe_validation
from worker.config import WorkerSettings

CONFIG_FILE = "config.toml"


class ConfigError(SwarmError):
    """config.toml (or an option) has a bad value."""


def default_roles() -> dict[str, RoleWorkers]:
    return {role.name: RoleWorkers(workers=role.workers, concurrency=role.concurrency)
            for role in ROLES}


class SwarmConfig(WorkerSettings):
    """Everything a workspace can set: the workers' settings (`WorkerSettings`, with
    their defaults) and the orchestrator's own."""

    # Seconds and counts must be finite: `inf` would parse, and a worker that waits
    # forever between heartbeats looks hung.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    roles: dict[str, RoleWorkers] = Field(default_factory=default_roles)
    max_attempts: int = Field(default=3, ge=1, le=100)
    heartbeat_timeout_s: float = Field(default=10.0, gt=0)
    message_retention_s: float = Field(default=7 * 86400.0, gt=0)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    # How far researchers chase the definitions their passages name ([chase]).
    chase: ChaseLimits = Field(default_factory=ChaseLimits)

    @field_validator("roles", mode="after")
    @classmethod
    def _over_default_roles(cls, roles: dict[str, RoleWorkers]) -> dict[str, RoleWorkers]:
        for name in roles:
            # A worker is started with `--role NAME`: a name it would refuse is refused here.
            if not name.strip() or name != name.strip() or not name.isprintable():
                raise ValueError(f"role name {name!r}: use a word, e.g. researcher")
        # A file that sets [roles.researcher] keeps the other default roles.
        return {**default_roles(), **roles}

    def worker_settings(self) -> WorkerSettings:
        """The workers' part alone: what the supervisor puts on a worker's argv."""
        return WorkerSettings.model_validate(
            {name: getattr(self, name) for name in WorkerSettings.model_fields})

    def with_worker_counts(self, counts: dict[str, int]) -> SwarmConfig:
        """A copy with `--workers ROLE=N` applied; N=0 leaves a role without workers."""
        roles = {name: role.model_copy() for name, role in self.roles.items()}
        for name, count in counts.items():
            current = roles.get(name, RoleWorkers(workers=0))
            roles[name] = current.model_copy(update={"workers": count})
        return self.model_copy(update={"roles": roles})


def load_config(home: Path, environ: Mapping[str, str] | None = None) -> SwarmConfig:
    """Read `<home>/config.toml`, or the defaults when there is none; `SWARM_LLM_*`
    variables (of `environ`, default the process's) override its `[llm]`."""
    config = _read_config(home)
    llm = config.llm.with_environment(os.environ if environ is None else environ)
    return config.model_copy(update={"llm": llm})


def _read_config(home: Path) -> SwarmConfig:
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
        raise ConfigError(f"{source}: {describe_validation(exc, _key_path)}") from exc


def _key_path(loc: tuple[int | str, ...]) -> str:
    """`key.path`, the way a user would look for it in the file."""
    return ".".join(_key_part(part) for part in loc) or "(top level)"


def _key_part(part: object) -> str:
    text = str(part)
    # A key with a line break or another control character is quoted, as TOML would.
    return text if text.isprintable() else json.dumps(text)
