"""Text from a plan, a skill or a model made safe to print on a terminal.

A title such as `ESC]0;pwned BEL` would retitle the terminal, move the cursor or hide
what follows; every control character is shown as a visible escape (`\\x1b`) instead.
"""

from __future__ import annotations

import re

# C0 controls (newline and tab included: a printed field is one line), DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with each control character replaced by its visible escape, e.g. `\\x1b`."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


__all__ = ["printable"]
