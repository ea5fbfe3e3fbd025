"""Errors of the skill layer."""

from __future__ import annotations

from taskqueue import SwarmError


class SkillLoadError(SwarmError):
    """A skill file or entry point could not be loaded; the message names it and why."""


class UnknownSkill(SwarmError):
    """No skill of that name (or none for a role without a default skill)."""


class BadSkillInput(SwarmError):
    """The task's input does not fit the skill's input model: no retry can help."""
