"""Rendering generated data as TOML text, for fuzzing the files swarm reads.

Only what the fuzz strategies produce: tables of scalars, arrays and inline tables. TOML
has no null, so None is left out; a string is written as a JSON string, which TOML reads
the same way (the cases where it does not, like a lone surrogate, are fuzz too).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def value(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)
    if isinstance(item, str):
        return json.dumps(item)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(i) for i in item if i is not None) + "]"
    if isinstance(item, dict):
        return "{" + ", ".join(f"{key(str(k))} = {value(v)}" for k, v in item.items()
                               if v is not None) + "}"
    raise TypeError(f"cannot render {type(item).__name__} as TOML")


def table_lines(data: dict[str, Any]) -> list[str]:
    return [f"{key(str(k))} = {value(v)}" for k, v in data.items() if v is not None]


def document(data: dict[str, Any]) -> str:
    """Top-level scalars first, then `[name]` for dicts of dicts and `[[name]]` for lists
    of dicts, the way a person writes a config or a plan."""
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for name, item in data.items():
        entries = list(item.values()) if isinstance(item, dict) else item
        if isinstance(item, dict | list) and item and all(isinstance(v, dict) for v in entries):
            nested.append((name, item))
        elif item is not None:
            lines.append(f"{key(str(name))} = {value(item)}")
    for name, item in nested:
        if isinstance(item, list):
            for entry in item:
                lines += ["", f"[[{key(name)}]]", *table_lines(entry)]
        else:
            for sub, entry in item.items():
                lines += ["", f"[{key(name)}.{key(str(sub))}]", *table_lines(entry)]
    return "\n".join(lines) + "\n"
