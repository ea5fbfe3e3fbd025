"""The optional model: an OpenAI-compatible chat-completions client for the planner and
the skills, with limits shared across worker processes, usage per session, and record
and replay of model traffic. Unconfigured, everything runs offline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skills.llm.answers import ChatMessage, ChatModel, ChatResult, ToolCall
from skills.llm.config import ENV_PREFIX, LLMConfig, LLMConfigError, load_llm_config
from skills.llm.errors import (
    BudgetSpent,
    BudgetStop,
    LLMBadAnswer,
    LLMError,
    LLMMisconfigured,
    LLMUnavailable,
)

if TYPE_CHECKING:
    from skills.llm.endpoint import ModelEndpoint, ProgressNote, TaskModel

__all__ = [
    "ENV_PREFIX",
    "BudgetSpent",
    "BudgetStop",
    "ChatMessage",
    "ChatModel",
    "ChatResult",
    "LLMBadAnswer",
    "LLMConfig",
    "LLMConfigError",
    "LLMError",
    "LLMMisconfigured",
    "LLMUnavailable",
    "ModelEndpoint",
    "ProgressNote",
    "TaskModel",
    "ToolCall",
    "load_llm_config",
]

_FROM_ENDPOINT = frozenset({"ModelEndpoint", "ProgressNote", "TaskModel"})


def __getattr__(name: str) -> Any:
    # The endpoint imports httpx2, a sizeable import: only a process that talks to a model
    # pays for it, not every offline worker and command.
    if name in _FROM_ENDPOINT:
        from skills.llm import endpoint

        return getattr(endpoint, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
