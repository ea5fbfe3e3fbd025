"""The skill registry: built-ins, entry points and skill directories, held on an instance.

A duplicate name or a file that fails to import is recorded in `failures` and listed by
`swarm skills`; it never replaces a skill already registered. Skill directories are
re-read when a file changes (`refresh`), so running workers pick up edited skills; a file
that breaks on an edit keeps its last good version until it is fixed. The CLI vets each
file in a child process first (`check_file`, see `skills.isolation`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from skills.agents.builtin_tools import BUILTIN_TOOLS
from skills.agents.tools import Tool, ToolRegistry
from skills.builtin import BUILTIN_SKILLS
from skills.errors import SkillLoadError, UnknownSkill
from skills.loader import SkillSpec, load_file_with_tools, load_object, spec_for_class
from skills.roles import default_skill
from skills.workspace_skills import WorkspaceSkills, configured_specs, load_workspace_skills

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "swarm.skills"


FileCheck = Callable[[Path], str | None]
"""Vets a skill file before it is imported: None, or why it must not be."""


@dataclass(frozen=True)
class LoadFailure:
    origin: str
    error: str


@dataclass(frozen=True)
class _FileState:
    mtime_ns: int
    size: int


class SkillRegistry:
    """Every skill this process can run, by name."""

    def __init__(self, check_file: FileCheck | None = None) -> None:
        # Called before a skill file is imported here; what it returns is why not to.
        self._check_file = check_file
        self._specs: dict[str, SkillSpec] = {}
        self._failures: dict[str, list[LoadFailure]] = {}
        self._directories: list[Path] = []
        self._files: dict[Path, _FileState] = {}
        # The tools agents may be given: built-ins and the `@tool` functions of skill files.
        self.tools = ToolRegistry(BUILTIN_TOOLS)
        # Roles whose skill config.toml sets: their specs, before the role table's defaults.
        self._role_specs: dict[str, SkillSpec] = {}

    @classmethod
    def standard(cls, skills_dirs: Iterable[Path], home: Path,
                 check_file: FileCheck | None = None) -> SkillRegistry:
        """Built-ins, entry points, the given directories and `<home>/skills` if present;
        `check_file` (say, `skills.isolation.check_in_child`) vets each file first."""
        registry = cls(check_file)
        registry.add_builtins()
        registry.add_entry_points()
        for directory in skills_dirs:
            registry.add_directory(directory)
        if (home / "skills").is_dir():
            registry.add_directory(home / "skills")
        registry.add_configured(load_workspace_skills(home))
        return registry

    def add_configured(self, configured: WorkspaceSkills) -> None:
        """The workspace's command skills (`[skills.NAME]`) and role skills (`[roles.NAME]
        skill = ...`); raises `SkillLoadError` naming the file and key of a bad one."""
        commands, roles = configured_specs(configured, self._specs, self.tools)
        for spec in commands:
            self._add(spec)
        self._role_specs.update(roles)

    @property
    def failures(self) -> list[LoadFailure]:
        return [f for origin in sorted(self._failures) for f in self._failures[origin]]

    def specs(self) -> list[SkillSpec]:
        return sorted(self._specs.values(), key=lambda s: s.name)

    def register_class(self, cls: type, origin: str) -> SkillSpec:
        spec = spec_for_class(cls, origin)
        self._add(spec)
        return spec

    def _add(self, spec: SkillSpec) -> None:
        taken = self._specs.get(spec.name)
        if taken is not None and taken.origin != spec.origin:
            raise SkillLoadError(
                f"{spec.origin}: skill {spec.name!r} is already defined by {taken.origin}"
            )
        self._specs[spec.name] = spec

    def _add_all(self, origin: str, specs: Iterable[SkillSpec]) -> None:
        for spec in specs:
            try:
                self._add(spec)
            except SkillLoadError as exc:
                self._record(origin, str(exc))

    def _record(self, origin: str, error: str) -> None:
        logger.warning("skill load failure: %s", error)
        self._failures.setdefault(origin, []).append(LoadFailure(origin, error))

    def add_builtins(self) -> None:
        for cls in BUILTIN_SKILLS:
            self.register_class(cls, "builtin")

    def add_entry_points(self) -> None:
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            origin = f"entry point {entry.name} ({entry.value})"
            try:
                self._add_all(origin, load_object(entry.load(), origin))
            except SkillLoadError as exc:
                self._record(origin, str(exc))
            except Exception as exc:
                self._record(origin, f"{origin}: failed to load: {type(exc).__name__}: {exc}")

    def add_directory(self, directory: Path) -> None:
        """Load every `*.py` in `directory`, and watch it for changes from now on."""
        directory = Path(directory)
        if not directory.is_dir():
            raise SkillLoadError(f"{directory}: skills directory does not exist")
        if directory not in self._directories:
            self._directories.append(directory)
        self.refresh()

    def refresh(self) -> list[Path]:
        """Reload the skill files that were added, changed or removed; returns them.

        A file that breaks (a syntax error mid-edit) keeps its last good version: its
        skills stay registered, its failure is recorded and logged, and the next good
        save replaces them.
        """
        current = {path: _state(path) for d in self._directories for path in _skill_files(d)}
        changed = sorted(
            [p for p, s in current.items() if self._files.get(p) != s]
            + [p for p in self._files if p not in current]
        )
        for path in changed:
            if path not in current:
                self._forget(str(path))
        for path in changed:
            if path in current:
                self._reload(path)
        self._files = current
        return changed

    def _forget(self, origin: str) -> None:
        self._failures.pop(origin, None)
        self.tools.forget(origin)
        for name in [n for n, s in self._specs.items() if s.origin == origin]:
            del self._specs[name]

    def _reload(self, path: Path) -> None:
        origin = str(path)
        try:
            specs, tools = self._read(path)
        except SkillLoadError as exc:
            self._failures.pop(origin, None)
            kept = sorted(n for n, s in self._specs.items() if s.origin == origin)
            if kept:
                self._record(origin, f"{exc}; the last good version stays loaded "
                                     f"({', '.join(kept)})")
            else:
                self._record(origin, str(exc))
            return
        self._forget(origin)
        self._add_all(origin, specs)
        self._add_tools(origin, tools)
        logger.info("loaded %d skill(s) and %d tool(s) from %s", len(specs), len(tools), path)

    def _add_tools(self, origin: str, tools: list[Tool]) -> None:
        for each in tools:
            try:
                self.tools.add(each)
            except SkillLoadError as exc:
                self._record(origin, str(exc))

    def _read(self, path: Path) -> tuple[list[SkillSpec], list[Tool]]:
        """The skills of one file, after `check_file` (if set) found it safe to import."""
        if self._check_file is not None:
            problem = self._check_file(path)
            if problem is not None:
                raise SkillLoadError(f"{path}: {problem}")
        try:
            return load_file_with_tools(path)
        except SkillLoadError:
            raise
        except Exception as exc:
            # A class that looks like a skill but is malformed: one file's error, not the
            # worker's (refresh runs before every claim).
            raise SkillLoadError(
                f"{path}: not a valid skill file: {type(exc).__name__}: {exc}") from exc

    def get(self, name: str) -> SkillSpec:
        spec = self._specs.get(name)
        if spec is None:
            known = ", ".join(sorted(self._specs)) or "none"
            raise UnknownSkill(f"no skill named {name!r} (known: {known})")
        return spec

    def for_task(self, skill: str | None, role: str) -> SkillSpec:
        """The skill a task runs: its own, its role's default, or the one skill of that role."""
        configured = self._role_specs.get(role)
        if configured is not None and skill in (None, "", configured.name):
            return configured
        if skill:
            return self.get(skill)
        default = default_skill(role)
        if default:
            return self.get(default)
        for_role = [s for s in self._specs.values() if role in s.roles]
        if len(for_role) == 1:
            return for_role[0]
        raise UnknownSkill(
            f"role {role!r} has no default skill; name one with `skill` in the task"
        )


def _skill_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.py") if p.is_file())


def _state(path: Path) -> _FileState:
    stat = path.stat()
    return _FileState(stat.st_mtime_ns, stat.st_size)
