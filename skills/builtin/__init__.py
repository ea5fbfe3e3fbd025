"""The skills every worker has."""

from skills.builtin.noop import Noop

BUILTIN_SKILLS: list[type] = [Noop]
