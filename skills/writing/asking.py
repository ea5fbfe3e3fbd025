"""Asking the model from a built-in skill, and what to do when it cannot answer.

Offline (`ctx.llm` is None) a skill never asks. When the model fails (down, timing out,
refusing, spent budget for a task that goes on) the skill falls back to its offline path
for this task and says so with a note; `BudgetStop` is not caught: the task was cancelled
for the budget and must end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from skills.contracts import SwarmContext
from skills.llm import ChatMessage, ChatResult, LLMError
from skills.writing.common import one_line

__all__ = ["Fallback", "ask", "ask_messages", "italic_note"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fallback:
    """The model gave no usable answer; `note` says why, for the skill's output."""

    note: str


async def ask(ctx: SwarmContext, system: str, user: str, *, json_mode: bool = False
              ) -> ChatResult | Fallback | None:
    """One question with its instructions; None offline."""
    return await ask_messages(ctx, [{"role": "system", "content": system},
                                    {"role": "user", "content": user}], json_mode=json_mode)


async def ask_messages(ctx: SwarmContext, messages: list[ChatMessage], *,
                       json_mode: bool = False) -> ChatResult | Fallback | None:
    if ctx.llm is None:
        return None
    try:
        return await ctx.llm.chat(messages, json_mode=json_mode)
    except LLMError as exc:
        logger.warning("task %d: the model gave no answer, going on offline: %s",
                       ctx.task_id, exc)
        return Fallback(f"the model could not be used ({one_line(str(exc))})")


def italic_note(note: str) -> str:
    """A note as the built-in outputs write notes: one line in italics (`critique` tells
    notes from statements by this)."""
    text = one_line(note).replace("_", "\\_")
    return f"_Note: {text[:1].upper()}{text[1:]}._" if text else ""
