"""The client's data: a chat message, the answer and its cost, and what a skill sees."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from taskqueue import SessionUsage

__all__ = ["ChatMessage", "ChatModel", "ChatResult", "ToolCall"]

ChatMessage = dict[str, Any]
"""`{"role": "system" | "user" | "assistant" | "tool", "content": "..."}`; an assistant
message may carry `tool_calls`, a tool message its `tool_call_id`."""


class ToolCall(BaseModel):
    """One call of a tool the model asked for; `arguments` is the JSON text it wrote."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: str = "{}"

    def as_wire(self) -> dict[str, Any]:
        """The call as an assistant message's `tool_calls` entry."""
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


class ChatResult(BaseModel):
    """One answer: its text, the tools it calls, the tokens it cost and how long it took,
    retries included."""

    model_config = ConfigDict(frozen=True)

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0


class ChatModel(Protocol):
    """`ctx.llm`: the model, bound to the task that asks."""

    @property
    def model_name(self) -> str: ...
    async def chat(self, messages: list[ChatMessage], *, json_mode: bool = False,
                   tools: list[dict[str, Any]] | None = None) -> ChatResult: ...
    async def session_usage(self) -> SessionUsage: ...
