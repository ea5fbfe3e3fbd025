import os
import sys
from pathlib import Path

# `python -m` puts the current directory first on sys.path, where a user's own folder
# named like one of our packages (a `skills/` of skill files) would shadow ours. Keep it
# only when it is this checkout itself, run without installing.
if sys.path and sys.path[0] in ("", os.getcwd()) and Path(__file__).parent.parent != Path.cwd():
    del sys.path[0]

from orchestrator.cli import main

main()
