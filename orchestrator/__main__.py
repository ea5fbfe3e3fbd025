import os
import signal
import sys
from pathlib import Path


def _interrupted_while_starting(signum: int, frame: object) -> None:
    # Nothing exists yet while modules load: leave quietly, as Ctrl-C asks.
    os.write(2, b"swarm: interrupted\n")
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted_while_starting)

# `python -m` puts the current directory first on sys.path, where a user's own folder
# named like one of our packages (a `skills/` of skill files) would shadow ours. Keep it
# only when it is this checkout itself, run without installing.
if sys.path and sys.path[0] in ("", os.getcwd()) and Path(__file__).parent.parent != Path.cwd():
    del sys.path[0]

from orchestrator.cli import main  # noqa: E402 - after the two guards above

main()
