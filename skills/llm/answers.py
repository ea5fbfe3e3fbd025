"""The client's data: a chat message, the answer and its cost, and what a skill sees."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from taskqueue import SessionUsage

__all__ = ["ChatMessage", "ChatModel", "ChatResult"]

ChatMessage = dict[str, str]
"""`{"role": "system" | "user" | "assistant", "content": "..."}`."""


class ChatResult(BaseModel):
    """One answer: its text, the tokens it cost and how long it took, retries included."""

    model_config = ConfigDict(frozen=True)

    text: str
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0


class ChatModel(Protocol):
    """`ctx.llm`: the model, bound to the task that asks."""

    @property
    def model_name(self) -> str: ...
    async def chat(self, messages: list[ChatMessage], *, json_mode: bool = False
                   ) -> ChatResult: ...
    async def session_usage(self) -> SessionUsage: ...
