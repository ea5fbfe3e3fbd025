import os
import sys
from pathlib import Path

# As in orchestrator/__main__.py: a user's `skills/` folder in the current directory must
# not shadow the `skills` package.
if sys.path and sys.path[0] in ("", os.getcwd()) and Path(__file__).parent.parent != Path.cwd():
    del sys.path[0]

from worker.cli import main

main()
