"""What can go wrong with the model, as exceptions a skill can tell apart.

Every `LLMError` means "no usable answer this time": a skill falls back to its offline
path for the task. `BudgetStop` is different: the session's token budget is spent and the
task was cancelled, so the skill must stop rather than fall back.
"""

from __future__ import annotations

from skills.errors import Fail
from taskqueue import SwarmError

__all__ = ["BudgetSpent", "BudgetStop", "LLMBadAnswer", "LLMError", "LLMMisconfigured",
           "LLMUnavailable"]


class LLMError(SwarmError):
    """No usable answer from the model; `latency_s` is how long the call took."""

    def __init__(self, message: str, latency_s: float = 0.0) -> None:
        super().__init__(message)
        self.latency_s = latency_s


class LLMUnavailable(LLMError):
    """The server could not be reached, timed out, or kept refusing (429, 5xx);
    `unreachable` when it could not even be connected to."""

    unreachable: bool = False


class LLMMisconfigured(LLMError):
    """The request cannot be sent as configured (a URL that is not http(s), a header
    that cannot be sent): no retry could pass."""


class LLMBadAnswer(LLMError):
    """The server answered, but not with a chat completion (or refused the request)."""


class BudgetSpent(LLMError):
    """The session's token budget is spent; this task (the final synthesis) goes on
    offline."""


class BudgetStop(Fail):
    """The session's token budget is spent and this task was cancelled with the rest."""
