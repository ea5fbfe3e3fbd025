"""The skills a workspace configures in config.toml: command skills (`[skills.NAME]`) and
a role's own skill (`[roles.NAME] skill = ...`, with an agent's settings), read by every
process that builds a registry.

The orchestrator validates the whole file first (`orchestrator.config`); a worker reads
only these keys here, so that it runs what the session was started with.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from skills.agents.settings import RoleSkill
from skills.agents.skill import agent_for_role
from skills.agents.tools import ToolRegistry
from skills.commands.settings import CommandSettings, bwrap_missing
from skills.errors import SkillLoadError
from skills.loader import SkillSpec, spec_for_class
from taskqueue import describe_validation

__all__ = ["WorkspaceSkills", "configured_specs", "load_workspace_skills"]

CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class WorkspaceSkills:
    """What config.toml says of skills, and the file it says it in."""

    source: str = CONFIG_FILE
    roles: dict[str, RoleSkill] = field(default_factory=dict)
    commands: dict[str, CommandSettings] = field(default_factory=dict)


def load_workspace_skills(home: Path) -> WorkspaceSkills:
    """The skill keys of `<home>/config.toml` (nothing when there is no file)."""
    path = home / CONFIG_FILE
    if not path.is_file():
        return WorkspaceSkills(str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SkillLoadError(f"{path}: cannot be read ({exc})") from exc
    return parse_workspace_skills(data, str(path))


def parse_workspace_skills(data: Mapping[str, Any], source: str) -> WorkspaceSkills:
    roles: dict[str, RoleSkill] = {}
    for name, table in (data.get("roles") or {}).items():
        keys = {k: v for k, v in dict(table).items() if k in RoleSkill.model_fields}
        try:
            roles[name] = RoleSkill.model_validate(keys)
        except ValidationError as exc:
            raise SkillLoadError(f"{source}: " + describe_validation(
                exc, partial(_key_path, f"roles.{name}"))) from exc
    commands: dict[str, CommandSettings] = {}
    for name, table in (data.get("skills") or {}).items():
        try:
            settings = CommandSettings.model_validate(table)
        except ValidationError as exc:
            raise SkillLoadError(f"{source}: " + describe_validation(
                exc, partial(_key_path, f"skills.{name}"))) from exc
        commands[name] = settings.resolved_from(Path(source).parent)
    return WorkspaceSkills(source, roles, commands)


def _key_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    return ".".join([prefix, *map(str, loc)])


def configured_specs(configured: WorkspaceSkills, known: Mapping[str, SkillSpec],
                     tools: ToolRegistry) -> tuple[list[SkillSpec], dict[str, SkillSpec]]:
    """The command skills config.toml adds, and each configured role's spec; a skill or
    tool that does not exist is an error naming the file and key."""
    commands = [_command_spec(name, settings, known, configured.source)
                for name, settings in configured.commands.items()]
    known = {**known, **{spec.name: spec for spec in commands}}
    agent_roles = frozenset(r for r, s in configured.roles.items() if s.is_agent)
    by_role: dict[str, SkillSpec] = {}
    for role, chosen in configured.roles.items():
        if chosen.skill is None:
            continue
        where = f"{configured.source}: roles.{role}"
        if chosen.is_agent:
            by_role[role] = _agent_spec(role, chosen, tools, agent_roles, where)
        elif chosen.skill in known:
            by_role[role] = known[chosen.skill]
        else:
            raise SkillLoadError(f"{where}.skill: no skill named {chosen.skill!r} "
                                 f"(known: {', '.join(sorted(known))})")
    return commands, by_role


def _command_spec(name: str, settings: CommandSettings, known: Mapping[str, SkillSpec],
                  source: str) -> SkillSpec:
    where = f"{source}: skills.{name}"
    if name in known and not known[name].origin.startswith(f"{source}: skills."):
        raise SkillLoadError(f"{where}: skill {name!r} is already defined by "
                             f"{known[name].origin}")
    if settings.sandbox == "bwrap" and (missing := bwrap_missing()):
        raise SkillLoadError(f"{where}.sandbox: {missing}")
    # Imported here: a worker loads the command skill only when config.toml has one.
    from skills.commands.skill import command_skill

    return spec_for_class(command_skill(name, settings), where)


def _agent_spec(role: str, chosen: RoleSkill, tools: ToolRegistry,
                agent_roles: frozenset[str], where: str) -> SkillSpec:
    settings = chosen.agent_settings()
    unknown = [name for name in settings.tools if tools.get(name) is None]
    if unknown:
        raise SkillLoadError(f"{where}.tools: no tool named {unknown[0]!r} "
                             f"(known: {', '.join(tools.names())})")
    cls = agent_for_role(role, settings, tools.pick(settings.tools), agent_roles)
    return spec_for_class(cls, where)
