"""Checking a task's input against what a skill accepts.

A skill may declare `input_model` (a pydantic model). A legacy skill without one has a
model read from its `execute` signature, so `def execute(self, text: str, n: int = 3)`
refuses `{"n": "x"}` or a missing `text` before the skill runs, naming the field.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from skills.errors import BadSkillInput


class _AnyInput(BaseModel):
    model_config = ConfigDict(extra="allow")


def model_from_signature(execute: Any, skill_name: str) -> type[BaseModel]:
    """A pydantic model of `execute`'s named parameters; extra keys are refused
    unless the function takes **kwargs."""
    fields: dict[str, Any] = {}
    takes_any = False
    annotations = _resolved_annotations(execute)
    for param in list(inspect.signature(execute).parameters.values()):
        if param.name == "self":
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            takes_any = True
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        annotation = annotations.get(param.name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    if not fields and takes_any:
        return _AnyInput
    config = ConfigDict(extra="allow" if takes_any else "forbid", arbitrary_types_allowed=True)
    model: type[BaseModel] = create_model(
        f"{skill_name}_input", __config__=config, **fields
    )
    return model


def _resolved_annotations(execute: Any) -> dict[str, Any]:
    """`execute`'s annotations, evaluated where the skill was written (under `from
    __future__ import annotations` they are strings). One that does not evaluate (a name
    imported only for type checkers) is left out, so its field goes unchecked."""
    try:
        return inspect.get_annotations(execute, eval_str=True)
    except Exception:
        pass
    scope = getattr(execute, "__globals__", None)
    resolved: dict[str, Any] = {}
    for name, annotation in inspect.get_annotations(execute).items():
        # One at a time, so that one name that does not evaluate spares the others.
        holder = type("_OneAnnotation", (), {"__annotations__": {name: annotation}})
        try:
            resolved.update(inspect.get_annotations(holder, globals=scope, eval_str=True))
        except Exception:
            continue
    return resolved


def check_input(model: type[BaseModel], data: dict[str, Any], skill_name: str) -> BaseModel:
    """Validate, or raise BadSkillInput naming each field and reason."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadSkillInput(f"skill {skill_name!r}: {describe_input_errors(exc)}") from exc


def describe_input_errors(exc: ValidationError) -> str:
    """`input.field: reason` for each problem of a task's input, `;`-separated."""
    return "; ".join(
        f"input.{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors()
    )


def as_kwargs(validated: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for a legacy execute: the validated fields plus allowed extras."""
    values = dict(validated)
    extra = validated.model_extra or {}
    values.update({key: data[key] for key in extra if key in data})
    return values
