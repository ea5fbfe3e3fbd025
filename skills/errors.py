"""Errors of the skill layer, and what a skill may raise (`Retry`, `Fail`)."""

from __future__ import annotations

from taskqueue import SwarmError


class SkillLoadError(SwarmError):
    """A skill file or entry point could not be loaded; the message names it and why."""


class UnknownSkill(SwarmError):
    """No skill of that name (or none for a role without a default skill)."""


class BadSkillInput(SwarmError):
    """The task's input does not fit the skill's input model: no retry can help."""


class Retry(SwarmError):
    """Raised by a skill: try again, after `defer` seconds if given."""

    def __init__(self, reason: str = "the skill asked to retry", defer: float | None = None):
        super().__init__(reason)
        self.defer = defer


class Fail(SwarmError):
    """Raised by a skill: this task cannot succeed; fail it now, without retries."""
