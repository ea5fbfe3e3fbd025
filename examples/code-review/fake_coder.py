#!/usr/bin/env python3
"""A stand-in for a coding CLI (opencode, aider): it "codes" by editing files in the
directory it runs in, so that the example runs offline.

    fake_coder.py PROMPT        adds a function to greet.py and notes the prompt
    fake_coder.py --fail PROMPT says why it cannot, on stderr, and exits 3
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if argv[:1] == ["--fail"]:
        print(f"fake_coder: cannot do {' '.join(argv[1:])!r}: no model", file=sys.stderr)
        return 3
    prompt = " ".join(argv) or "(no prompt)"
    code = Path("greet.py")
    before = code.read_text(encoding="utf-8") if code.exists() else ""
    code.write_text(before + '\n\ndef greet(name: str) -> str:\n    return f"Hello, {name}!"\n',
                    encoding="utf-8")
    Path("NOTES.md").write_text(f"# Asked\n\n{prompt}\n", encoding="utf-8")
    print(f"fake_coder: edited greet.py and wrote NOTES.md for {prompt!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
