"""`.swarm/config.toml`: one validated model with every default in one place.

Command-line options only map onto this model (`with_overrides`); a bad value names the
file, the key and the reason.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from orchestrator.supervisor_config import HEARTBEAT_TIMEOUT_S, WORKER_WAIT_S, RoleWorkers
from skills.commands.settings import CommandSettings
from skills.llm import LLMConfig
from skills.offline.chase import ChaseLimits
from skills.roles import ROLES
from taskqueue import DEFAULT_MAX_ATTEMPTS, SwarmError, describe_validation
from worker.config import WorkerSettings

CONFIG_FILE = "config.toml"
ROLE_NAME = re.compile(r"\w[\w-]{0,63}")


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
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1, le=100)
    heartbeat_timeout_s: float = Field(default=HEARTBEAT_TIMEOUT_S, gt=0)
    worker_wait_s: float = Field(default=WORKER_WAIT_S, gt=0)
    message_retention_s: float = Field(default=7 * 86400.0, gt=0)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    # The store's URL (`--store` and $SWARM_STORE win); None: the workspace's swarm.db.
    store: str | None = None
    # Command skills: external programs a task runs (`[skills.NAME]`).
    skills: dict[str, CommandSettings] = Field(default_factory=dict)
    # How far researchers chase the definitions their passages name ([chase]).
    chase: ChaseLimits = Field(default_factory=ChaseLimits)

    @field_validator("roles", mode="after")
    @classmethod
    def _over_default_roles(cls, roles: dict[str, RoleWorkers]) -> dict[str, RoleWorkers]:
        for name in roles:
            # A worker is started with `--role NAME` and logs to a file named after it:
            # a word, so that no name is blank, holds a control character or a `/`.
            if not ROLE_NAME.fullmatch(name):
                raise ValueError(f"role name {name!r}: use a word, e.g. researcher")
        # A file that sets [roles.researcher] keeps the other default roles.
        return {**default_roles(), **roles}

    def worker_settings(self) -> WorkerSettings:
        """The workers' part alone: what the supervisor puts on a worker's argv."""
        return WorkerSettings.model_validate(
            {name: getattr(self, name) for name in WorkerSettings.model_fields})

    def with_worker_counts(self, counts: Mapping[str, int | str]) -> SwarmConfig:
        """A copy with `--workers ROLE=N` applied, checked by this model as config.toml
        is (the role's name, N from 0 to 256); N=0 leaves a role without workers."""
        roles = {name: role.model_dump() for name, role in self.roles.items()}
        for name, count in counts.items():
            roles.setdefault(name, RoleWorkers(workers=0).model_dump())["workers"] = count
        try:
            return SwarmConfig.model_validate({**dict(self), "roles": roles})
        except ValidationError as exc:
            raise ConfigError(describe_validation(exc, _key_path)) from exc


def load_config(home: Path, environ: Mapping[str, str] | None = None) -> SwarmConfig:
    """Read `<home>/config.toml`, or the defaults when there is none; `SWARM_LLM_*`
    variables (of `environ`, default the process's) override its `[llm]`."""
    config = _read_config(home)
    llm = config.llm.with_environment(os.environ if environ is None else environ)
    return config.model_copy(update={"llm": llm})


def store_in_config_file(home: Path) -> str | None:
    """The `store` that `<home>/config.toml` names, read on its own: a file that is
    damaged elsewhere still says where the queue is, so the commands that only read
    (`sessions`, `status`) answer; `run` reads the whole file and refuses it."""
    try:
        data = tomllib.loads((home / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    store = data.get("store")
    return store if isinstance(store, str) else None


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
