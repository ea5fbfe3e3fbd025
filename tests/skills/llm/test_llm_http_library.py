"""One HTTP client library in the project: the model client speaks httpx2, as the
dashboard's tests do, and never loads httpx."""

from __future__ import annotations

import json
import subprocess
import sys

LOADED_CLIENTS = (
    "import json, sys, skills.llm.endpoint; "
    "print(json.dumps(sorted(m for m in sys.modules if m in ('httpx', 'httpx2'))))"
)


def test_the_model_client_loads_httpx2_and_not_httpx() -> None:
    result = subprocess.run([sys.executable, "-c", LOADED_CLIENTS], capture_output=True,
                            text=True, timeout=60, check=True)

    assert json.loads(result.stdout) == ["httpx2"]
