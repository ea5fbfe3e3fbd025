"""Turning what a skill returned into a blackboard file."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


def render_output(value: Any) -> str:
    """Markdown for a returned value: text as is, data as a JSON block."""
    if isinstance(value, str):
        return value if value.endswith("\n") else value + "\n"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"```json\n{text}\n```\n"
