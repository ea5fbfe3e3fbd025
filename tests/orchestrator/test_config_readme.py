"""The README's config.toml shows the defaults: each value it shows is the code's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from orchestrator.config import SwarmConfig

README = Path(__file__).resolve().parents[2] / "README.md"
# The sentence that introduces the snippet, and says what its values are.
INTRODUCTION = "`.swarm/config.toml` is optional; every key has a default, shown here:"


def readme_config() -> dict[str, Any]:
    text = README.read_text(encoding="utf-8")
    assert INTRODUCTION in text, f"README lost its introduction {INTRODUCTION!r}"
    block = re.search(r"```toml\n(.*?)```", text[text.index(INTRODUCTION):], re.DOTALL)
    assert block is not None, "no ```toml block after the introduction"
    return tomllib.loads(block.group(1))


def leaves(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"roles.researcher.workers": 2, ...}`: every value of a TOML document by key path."""
    found: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            found.update(leaves(value, f"{prefix}{key}."))
        else:
            found[prefix + key] = value
    return found


def test_every_value_the_readme_config_shows_is_the_default() -> None:
    shown = leaves(readme_config())
    defaults = leaves(SwarmConfig().model_dump(mode="json"))
    assert shown, "the README's config.toml shows no keys"
    wrong = {key: (value, defaults.get(key, "no such key"))
             for key, value in shown.items() if defaults.get(key) != value}
    assert not wrong, f"README shows (value, but the default is): {wrong}"
