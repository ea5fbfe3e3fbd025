"""Blackboard files as safe HTML: Markdown rendered on the server with raw HTML escaped.

markdown-it-py in CommonMark mode with `html` off turns any tag in a file into text, and
its link check refuses `javascript:`, `vbscript:`, `file:` and non-image `data:` links. The
page's Content-Security-Policy forbids inline scripts besides.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from blackboard import Blackboard

MAX_RENDER_CHARS = 2_000_000


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def render_markdown(text: str, md: MarkdownIt | None = None) -> str:
    """Markdown to HTML in which no tag of the source survives."""
    if len(text) > MAX_RENDER_CHARS:
        text = text[:MAX_RENDER_CHARS] + "\n\n… (cut: the file is too long to show whole)"
    html: str = (md or markdown()).render(text)
    return html


def render_file(board: Blackboard, path: str, md: MarkdownIt | None = None) -> dict[str, Any]:
    """One file of the blackboard, read through its own path checks, ready for the page."""
    found = board.read(path)
    meta = (found.front_matter.model_dump(mode="json", exclude_none=True)
            if found.front_matter else None)
    if meta is not None and not meta.get("sources"):
        meta.pop("sources", None)
    return {"path": found.path, "front_matter": meta,
            "html": render_markdown(found.body, md)}
