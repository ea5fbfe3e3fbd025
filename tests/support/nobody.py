"""Python run as `nobody`, for tests of what a read-only workspace allows: as root,
permission bits bind nothing, so the child a test starts drops to `nobody` first."""

from __future__ import annotations

import textwrap

import pytest

# The child's exit status when it cannot switch to `nobody` (no such user, no privilege).
CANNOT_DROP = 77

DROP_TO_NOBODY = f"""
import os, pwd, sys
if os.geteuid() == 0:
    nobody = pwd.getpwnam("nobody")
    try:
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    except OSError as exc:
        print(f"cannot drop privileges: {{exc}}")
        sys.exit({CANNOT_DROP})
"""


def as_nobody(code: str, *, imports: str) -> str:
    """Source for `python -c`: `imports`, then the drop to `nobody` (when started as
    root), then `code`. Whatever `code` uses is imported in `imports`, as root: root's
    Python installation may be closed to nobody."""
    return "\n".join(textwrap.dedent(part) for part in (imports, DROP_TO_NOBODY, code))


def skip_if_not_dropped(returncode: int, out: str) -> None:
    """Skip the test when the child said it could not switch to `nobody`."""
    if returncode == CANNOT_DROP:
        pytest.skip(f"cannot switch to an unprivileged user: {out.strip()}")
