"""The session's token budget: when it is spent, the work that is left is cancelled.

Every unfinished task of the session is cancelled with the reason `budget`, except those
the caller's rule keeps running (swarm keeps the planner, which then plans offline, and
the final synthesis, which writes the report offline from what exists). The rule is
passed in: the model client knows nothing of roles and skills.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from skills.llm.errors import BudgetSpent, BudgetStop
from taskqueue import Store, Task

__all__ = ["BUDGET_REASON", "KeepsRunning", "after_call", "before_call", "cancel_for_budget"]

logger = logging.getLogger(__name__)

BUDGET_REASON = "budget"

KeepsRunning = Callable[[Task], bool]
"""Whether a task goes on offline when the budget is spent, rather than being cancelled."""


async def before_call(store: Store, task: Task, budget: int | None,
                      keeps_running: KeepsRunning) -> None:
    """Raise when the budget is spent: `BudgetSpent` for a task that goes on offline,
    `BudgetStop` for one that was cancelled with the rest."""
    if budget is None:
        return
    used = (await store.llm_usage(task.session_id)).total.tokens
    if used < budget:
        return
    spent = f"the session's token budget is spent ({used} of {budget} tokens used)"
    if keeps_running(task):
        raise BudgetSpent(spent)
    await cancel_for_budget(store, task.session_id, keeps_running)
    raise BudgetStop(f"{BUDGET_REASON}: {spent}")


async def after_call(store: Store, task: Task, budget: int | None,
                     keeps_running: KeepsRunning) -> None:
    """After a call that spent the budget, cancel what is left; the task that made it
    keeps its answer and finishes."""
    if budget is None:
        return
    used = (await store.llm_usage(task.session_id)).total.tokens
    if used >= budget:
        await cancel_for_budget(store, task.session_id, keeps_running, keep=task.id)


async def cancel_for_budget(store: Store, session_id: str, keeps_running: KeepsRunning,
                            keep: int | None = None) -> list[int]:
    """Cancel the session's unfinished tasks but `keep` and those `keeps_running` keeps.

    Dependents are cancelled before what they depend on, so each is cancelled for the
    budget rather than because a dependency was.
    """
    doomed = {t.id: t for t in await store.list_tasks(session_id)
              if not t.status.is_terminal and t.id != keep and not keeps_running(t)}
    cancelled: list[int] = []
    while doomed:
        leaves = [i for i in doomed
                  if not any(i in other.depends_on for other in doomed.values())]
        for task_id in sorted(leaves or doomed, reverse=True):
            del doomed[task_id]
            if await store.cancel_task(task_id, BUDGET_REASON):
                cancelled.append(task_id)
    if cancelled:
        logger.warning("session %s: token budget spent; cancelled tasks %s",
                       session_id, cancelled)
    return cancelled
