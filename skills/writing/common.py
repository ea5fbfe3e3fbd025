"""What the built-in skills share: their input models and small text helpers."""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from skills.contracts import SwarmContext
from skills.offline.chase import ChaseLimits

__all__ = [
    "DownstreamInput",
    "NonBlank",
    "ResearchInput",
    "inline",
    "latest_outputs",
    "one_line",
    "params_of",
]

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""A string with something in it besides whitespace, stripped."""

InputModel = TypeVar("InputModel", bound=BaseModel)

_OUTPUT_NAME = re.compile(r"--t(\d+)-a(\d+)\.md$")


class DownstreamInput(BaseModel):
    """The input of `analyze`, `design`, `critique` and `synthesize`.

    Both fields may be left out (a `--plan` file need not give them): the sub-questions
    are then those of the findings on the blackboard.
    """

    model_config = ConfigDict(extra="forbid")

    request: str = ""
    questions: list[NonBlank] = Field(default_factory=list)


class ResearchInput(BaseModel):
    """`question` (a plan file may call it `query`), where the corpus and its index are,
    how many passages to keep, and how far to chase what they name."""

    model_config = ConfigDict(extra="forbid")

    question: NonBlank = Field(validation_alias=AliasChoices("question", "query"))
    corpus: str | None = None
    index: str | None = None
    limit: int = Field(default=5, ge=1, le=50)
    # How far to chase the identifiers the passages name (config `[chase]`); None: not.
    chase: ChaseLimits | None = None


def params_of(ctx: SwarmContext, model: type[InputModel]) -> InputModel:
    """`ctx.params` as the skill's `input_model`, which the runner validated it against."""
    if not isinstance(ctx.params, model):
        raise TypeError(f"ctx.params is a {type(ctx.params).__name__}, not {model.__name__}: "
                        "the skill was run without its input model")
    return ctx.params


def one_line(text: str) -> str:
    """Whitespace runs (line breaks included) collapsed to one space."""
    return " ".join(text.split())


def inline(text: str) -> str:
    """Text on one line, safe inside a Markdown list item or table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def latest_outputs(paths: list[str]) -> list[str]:
    """Per task, only the output of its latest attempt; other files as they are.

    An output file is named `<stem>--t<task>-a<attempt>.md`; a retried task leaves one
    file per attempt, and only the last one counts. Sorted by task, then path.
    """
    best: dict[tuple[str, int], tuple[int, str]] = {}
    others: list[str] = []
    for path in paths:
        match = _OUTPUT_NAME.search(path)
        if match is None:
            others.append(path)
            continue
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        task, attempt = int(match.group(1)), int(match.group(2))
        if (folder, task) not in best or best[(folder, task)][0] < attempt:
            best[(folder, task)] = (attempt, path)
    ordered = sorted(best.items(), key=lambda item: (item[0][1], item[1][1]))
    return [path for _, (_, path) in ordered] + sorted(others)
