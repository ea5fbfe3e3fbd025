"""Front matter: who wrote a blackboard file, when, and from what.

A block of ``key: value`` lines between two ``---`` lines opens every file written through
the API, so that ``cat`` and ``grep`` show provenance without a tool. It is a small subset
of YAML written and read without a YAML dependency:

- a string that is not a plain token (spaces, quotes, newlines, anything unusual) is
  JSON-quoted, so any string survives the round trip on one line;
- ``sources`` is a JSON list on one line; a hand-written YAML list of ``- item`` lines is
  read too;
- ``time`` is ISO 8601 in UTC; a key whose value is None is left out.

A file whose first line is not ``---``, or whose block does not parse, has no front matter:
its whole text is the body, so hand-written notes read fine.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DELIMITER = "---"

_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_.:+/@-]+")
_KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*))?")
_LIST_ITEM = re.compile(r"[ \t]*-[ \t]+(.*)")


class FrontMatter(BaseModel):
    """Provenance of one blackboard file."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    task: int | None = Field(default=None, ge=0)
    role: str | None = None
    skill: str | None = None
    worker: str | None = None
    attempt: int | None = Field(default=None, ge=0)
    time: datetime | None = None
    title: str | None = None
    sources: list[str] = Field(default_factory=list)

    @field_validator("time")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        # A naive time is taken to be UTC already; an aware one is converted, so every
        # file states its time the same way.
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def render(meta: FrontMatter, body: str) -> str:
    """The text of a file: the front matter block, a blank line, then ``body`` unchanged."""
    lines = [DELIMITER]
    for key in FrontMatter.model_fields:
        value = getattr(meta, key)
        if value is not None:
            lines.append(f"{key}: {_render_value(value)}")
    lines.append(DELIMITER)
    return "\n".join(lines) + "\n\n" + body


def split(text: str) -> tuple[FrontMatter | None, str]:
    """Separate a file's text into its front matter (or None) and its body.

    The inverse of ``render``: ``split(render(meta, body)) == (meta, body)``.
    """
    block = _find_block(text)
    if block is None:
        return None, text
    header_lines, body = block
    fields = _parse_fields(header_lines)
    if fields is None:
        return None, text
    try:
        meta = FrontMatter.model_validate(fields)
    except ValidationError:
        return None, text
    return meta, body


def _render_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        if _PLAIN_TOKEN.fullmatch(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _find_block(text: str) -> tuple[list[str], str] | None:
    """The header lines and the body, or None when the text does not open with a block."""
    first_end = text.find("\n")
    if first_end < 0 or text[:first_end].rstrip("\r") != DELIMITER:
        return None
    header_lines: list[str] = []
    start = first_end + 1
    while start <= len(text):
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        # Split on '\n' alone: str.splitlines also breaks on characters such as U+2028
        # that a JSON-quoted value may legitimately hold.
        if line.rstrip("\r") == DELIMITER:
            return header_lines, _strip_separator("" if end < 0 else text[end + 1 :])
        if end < 0:
            return None
        header_lines.append(line.rstrip("\r"))
        start = end + 1
    return None


def _strip_separator(rest: str) -> str:
    # render() puts one blank line between the block and the body; a hand-written file
    # may have none, or a Windows line end.
    if rest.startswith("\n"):
        return rest[1:]
    if rest.startswith("\r\n"):
        return rest[2:]
    return rest


def _parse_fields(lines: list[str]) -> dict[str, Any] | None:
    """The raw values by key, or None when a line is not front matter."""
    fields: dict[str, Any] = {}
    list_key: str | None = None
    try:
        for line in lines:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            item = _LIST_ITEM.fullmatch(line)
            if item is not None and list_key is not None:
                fields.setdefault(list_key, []).append(_parse_scalar(item.group(1)))
                continue
            key_value = _KEY_VALUE.fullmatch(line)
            if key_value is None:
                return None
            key, raw = key_value.group(1), (key_value.group(2) or "").strip()
            # An empty value is YAML's null, or opens a list of '- item' lines.
            fields.pop(key, None)
            list_key = None if raw else key
            if raw:
                fields[key] = _parse_scalar(raw)
    except ValueError:
        return None
    return fields


def _parse_scalar(raw: str) -> Any:
    """A JSON value when the text is quoted or bracketed, else the text itself."""
    raw = raw.strip()
    if raw[:1] in ('"', "[", "{"):
        return json.loads(raw)
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw
