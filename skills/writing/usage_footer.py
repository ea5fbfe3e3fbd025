"""The report's footer: what the session's calls to the model cost, task by task."""

from __future__ import annotations

from collections.abc import Sequence

from skills.writing.common import inline
from taskqueue import SessionUsage, Task, UsageTotals

__all__ = ["describe_usage", "render_usage"]


def describe_usage(totals: UsageTotals) -> str:
    """`3 calls (1 failed), 1200 tokens in, 340 out, 4.1 s`."""
    calls = f"{totals.calls} call{'s' if totals.calls != 1 else ''}"
    if totals.failed:
        calls += f" ({totals.failed} failed)"
    return (f"{calls}, {totals.tokens_in} tokens in, {totals.tokens_out} out, "
            f"{totals.latency_s:.1f} s")


def render_usage(usage: SessionUsage, tasks: Sequence[Task], model: str) -> str:
    """The `## Model usage` section (empty when the session made no call)."""
    if not usage.total.calls:
        return ""
    labels = {t.id: f"#{t.id} {t.role}/{t.skill or '-'}" for t in tasks}
    out = ["", "## Model usage", "",
           f"_The model `{inline(model)}`: tokens as the server counted them, time with "
           "retries and waits for a free slot._", "",
           "| task | calls | failed | tokens in | tokens out | time |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    rows = [(labels.get(task_id, f"#{task_id}"), totals)
            for task_id, totals in sorted(usage.by_task.items())]
    rows.append(("all", usage.total))
    out += [f"| {inline(label)} | {t.calls} | {t.failed} | {t.tokens_in} | {t.tokens_out} | "
            f"{t.latency_s:.1f} s |" for label, t in rows]
    out.append("")
    return "\n".join(out)
