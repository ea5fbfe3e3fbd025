"""A command skill's settings: `[skills.NAME]` in config.toml."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CommandSettings", "bwrap_missing"]

BWRAP = "bwrap"


class CommandSettings(BaseModel):
    """An external program a task runs: its argv (`{key}` filled from the task's input),
    where it runs, for how long, and how it is confined."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: tuple[str, ...] = Field(min_length=1)
    # "worktree": a git worktree of `run --repo`, on a branch of the task's own;
    # "temp": an empty temporary directory.
    workdir: Literal["worktree", "temp"] = "temp"
    timeout_s: float = Field(default=900.0, gt=0, allow_inf_nan=False)
    # Bytes of stdout and of stderr kept (the end of each, where errors are).
    max_output_bytes: int = Field(default=64_000, ge=1_000, le=10_000_000)
    sandbox: Literal["none", "bwrap"] = "none"
    # Only with a sandbox: whether the program may reach the network.
    network: bool = False

    def resolved_from(self, folder: Path) -> CommandSettings:
        """A relative program path (`./coder.py`, `bin/coder`) taken from `folder`, the
        config file's, rather than from wherever the program happens to run."""
        program = self.command[0]
        if "/" not in program or Path(program).is_absolute():
            return self
        return self.model_copy(update={"command": (str(folder / program), *self.command[1:])})

    @model_validator(mode="after")
    def _network_needs_a_sandbox(self) -> CommandSettings:
        if self.network and self.sandbox == "none":
            raise ValueError('network = true only means something with sandbox = "bwrap"')
        return self


def bwrap_missing() -> str | None:
    """Why a bubblewrap sandbox cannot be had here, or None when it can."""
    if shutil.which(BWRAP) is None:
        return ('sandbox = "bwrap" needs bubblewrap, which is not installed '
                "(apt-get install bubblewrap); refusing to run unsandboxed")
    return None
