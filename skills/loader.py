"""Finding skill classes in a Python file, an entry point, or a class."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict

from skills.agents.tools import TOOL_MARK, Tool, tool_from_function
from skills.errors import SkillLoadError
from skills.inputs import model_from_signature


class SkillKind(StrEnum):
    LEGACY = "legacy"
    SWARM = "swarm"


class SkillSpec(BaseModel):
    """One skill the registry knows: its class, contract, roles and where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    name: str
    kind: SkillKind
    roles: tuple[str, ...]
    origin: str
    cls: type
    input_model: type[BaseModel] | None

    def allows_role(self, role: str) -> bool:
        return not self.roles or role in self.roles


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def spec_for_class(cls: type, origin: str) -> SkillSpec:
    """Read a skill class's contract; raise SkillLoadError if it is not a valid skill."""
    execute = getattr(cls, "execute", None)
    if not callable(execute):
        raise SkillLoadError(f"{origin}: class {cls.__name__} has no execute method")
    declared = getattr(cls, "name", None)
    name = declared if isinstance(declared, str) and declared else snake_case(cls.__name__)
    roles = getattr(cls, "roles", ()) or ()
    if not isinstance(roles, list | tuple | set | frozenset) or not all(
        isinstance(r, str) for r in roles
    ):
        raise SkillLoadError(f"{origin}: skill {name!r}: roles must be a list of role names")
    declared_model = getattr(cls, "input_model", None)
    if declared_model is not None and not (
        isinstance(declared_model, type) and issubclass(declared_model, BaseModel)
    ):
        raise SkillLoadError(f"{origin}: skill {name!r}: input_model must be a pydantic model")
    if inspect.iscoroutinefunction(execute):
        params = [p for p in inspect.signature(execute).parameters if p != "self"]
        if len(params) != 1:
            raise SkillLoadError(
                f"{origin}: skill {name!r}: async execute must take exactly one argument (ctx)"
            )
        kind, model = SkillKind.SWARM, declared_model
    else:
        kind = SkillKind.LEGACY
        model = declared_model or model_from_signature(execute, name)
    return SkillSpec(name=name, kind=kind, roles=tuple(roles), origin=origin, cls=cls,
                     input_model=model)


def load_file(path: Path) -> list[SkillSpec]:
    """Import `path` afresh and return the skills its classes define."""
    return load_file_with_tools(path)[0]


def load_file_with_tools(path: Path) -> tuple[list[SkillSpec], list[Tool]]:
    """Import `path` afresh: the skills its classes define and the tools (`@tool`
    functions) it adds for agents."""
    module = _import_fresh(path)
    tools = [tool_from_function(function, str(path))
             for _, function in inspect.getmembers(module, inspect.isfunction)
             if function.__module__ == module.__name__ and getattr(function, TOOL_MARK, False)]
    specs = []
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != module.__name__ or cls.__name__.startswith("_"):
            continue
        if callable(getattr(cls, "execute", None)):
            specs.append(spec_for_class(cls, str(path)))
    return specs, tools


def _import_fresh(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"swarm_skill_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise SkillLoadError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    # Registered so that pydantic and dataclasses can resolve the module's own names.
    sys.modules[module_name] = module
    try:
        # Compiled from the source each time, not through the bytecode cache: the cache
        # keys on whole-second mtime and size, which a quick edit may leave unchanged.
        code = compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        where = _last_frame_in(path, exc)
        raise SkillLoadError(
            f"{path}{where}: failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _last_frame_in(path: Path, exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f":{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    return f":{frames[-1].lineno}" if frames else ""


def load_object(obj: Any, origin: str) -> list[SkillSpec]:
    """An entry point's object: a skill class, or a list of skill classes."""
    classes = obj if isinstance(obj, list | tuple) else [obj]
    if not all(isinstance(c, type) for c in classes):
        raise SkillLoadError(f"{origin}: an entry point must name a skill class or a list of them")
    return [spec_for_class(cls, origin) for cls in classes]
