"""Record and replay of model traffic: a JSONL file, one call a line.

`SWARM_LLM_RECORD=path` appends every call's request and outcome (answer or error);
`SWARM_LLM_REPLAY=path` answers each request from the file, found by a hash of its
body, without a server. Recorded latencies are replayed too, so a replayed session's
report body (usage footer included) is the same, byte for byte; its front matter's
worker and time are those of the replay.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from skills.llm.answers import ChatResult
from skills.llm.errors import LLMBadAnswer, LLMError, LLMUnavailable

__all__ = ["Recorder", "Replayer", "request_key"]

# How to stream is not part of the question: a session recorded streaming replays without.
_TRANSPORT_FIELDS = ("stream", "stream_options")
_ERRORS: dict[str, type[LLMError]] = {
    "LLMUnavailable": LLMUnavailable, "LLMBadAnswer": LLMBadAnswer, "LLMError": LLMError}


def request_key(body: dict[str, Any]) -> str:
    """The hash that finds a request's recorded outcome."""
    asked = {k: v for k, v in body.items() if k not in _TRANSPORT_FIELDS}
    text = json.dumps(asked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Recorder:
    """Appends calls to a JSONL file; many processes may append to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, key: str, body: dict[str, Any], result: ChatResult | None,
              error: LLMError | None) -> None:
        """One line for one call (blocking: call it from a thread)."""
        entry: dict[str, Any] = {"key": key, "request": body}
        if result is not None:
            entry["answer"] = result.model_dump()
        if error is not None:
            entry["error"] = {"kind": type(error).__name__, "message": str(error),
                              "latency_s": error.latency_s}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as tape:
            # One lock for the whole line: concurrent workers never interleave lines.
            fcntl.flock(tape, fcntl.LOCK_EX)
            try:
                tape.write(line)
                tape.flush()
            finally:
                fcntl.flock(tape, fcntl.LOCK_UN)


class Replayer:
    """Answers from a recorded file. A request asked several times gets its recorded
    outcomes in order, then the last one again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._outcomes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._served: dict[str, int] = defaultdict(int)
        self._problem = ""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            self._problem = f"replay file {path} cannot be read ({exc.strerror})"
            return
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                self._outcomes[str(entry["key"])].append(entry)
            except (ValueError, KeyError, TypeError):
                self._problem = f"replay file {path}: line {number} is not a recorded call"
                return

    def answer(self, key: str) -> ChatResult:
        """The recorded answer, or the recorded error raised again."""
        if self._problem:
            raise LLMUnavailable(self._problem)
        outcomes = self._outcomes.get(key)
        if not outcomes:
            raise LLMUnavailable(f"replay file {self.path} holds no answer to this request "
                                 f"(key {key[:12]})")
        index = min(self._served[key], len(outcomes) - 1)
        self._served[key] += 1
        entry = outcomes[index]
        if "error" in entry:
            error = entry["error"]
            raise _ERRORS.get(error.get("kind"), LLMError)(
                str(error.get("message", "")), float(error.get("latency_s", 0.0)))
        return ChatResult.model_validate(entry["answer"])
