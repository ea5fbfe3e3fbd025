"""JSON for what the store keeps: task inputs, results, bus bodies (any backend).

A value that cannot be stored as JSON raises `InvalidTask` naming the offending field.
"""

from __future__ import annotations

import json
import math
from typing import Any

from taskqueue.errors import InvalidTask
from taskqueue.messages import Body

# A message as a backend stores it: (channel, kind, JSON body).
EncodedMessage = tuple[str, str, str]


def to_json(value: Any, field: str) -> str:
    """Encode `value`, or raise InvalidTask naming the first field that cannot be encoded."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        where, why = _first_unencodable(value, field)
        raise InvalidTask(f"{where}: not JSON-serialisable ({why})") from exc


def _first_unencodable(value: Any, path: str) -> tuple[str, str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, f"key {key!r} is a {type(key).__name__}, not a string"
            found = _first_unencodable(item, f"{path}.{key}")
            if found[1]:
                return found
        return path, ""
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_unencodable(item, f"{path}[{index}]")
            if found[1]:
                return found
        return path, ""
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"{value} is not a finite number"
    if value is None or isinstance(value, str | int | float | bool):
        return path, ""
    return path, f"a {type(value).__name__} value"


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def encode_message(
    channel: str, body: Body | dict[str, Any], kind: str | None = None
) -> EncodedMessage:
    """A typed body, or a plain dict with its `kind`, as the bus table stores it."""
    if isinstance(body, Body):
        return channel, body.kind, body.model_dump_json()
    if not kind:
        raise ValueError("a message with a plain dict body needs a kind")
    return channel, kind, to_json(body, "body")
