"""Command skills: external programs (coding CLIs and the like) run for a task, in a git
worktree of their own if asked, optionally inside a bubblewrap sandbox."""

from skills.commands.settings import CommandSettings
from skills.commands.skill import CommandSkill, command_skill

__all__ = ["CommandSettings", "CommandSkill", "command_skill"]
