"""Blackboard files as safe HTML: Markdown rendered on the server with raw HTML escaped.

markdown-it-py in CommonMark mode with `html` off turns any tag in a file into text, and
its link check refuses `javascript:`, `vbscript:`, `file:` and non-image `data:` links. The
page's Content-Security-Policy forbids inline scripts besides.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt

from blackboard import Blackboard
from blackboard.frontmatter import split

# The most of a file the board reads and renders; the rest is a link to the raw file.
MAX_RENDER_BYTES = 1_000_000


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def render_markdown(text: str, md: MarkdownIt | None = None) -> str:
    """Markdown to HTML in which no tag of the source survives."""
    html: str = (md or markdown()).render(text)
    return html


def raw_url(session_id: str, path: str) -> str:
    """The route that streams the file whole, as it is on disk."""
    return f"/api/sessions/{quote(session_id)}/raw/{quote(path)}"


def render_file(board: Blackboard, path: str, md: MarkdownIt | None = None) -> dict[str, Any]:
    """One file of the blackboard, read through its own path checks, ready for the page.

    Blocking (it reads the disk): call it off the event loop. Only the first
    `MAX_RENDER_BYTES` are read; `truncated` says the rest is at `raw`.
    """
    location = board.locate(path)
    relative = location.relative_to(board.path).as_posix()
    with location.open("rb") as handle:
        head = handle.read(MAX_RENDER_BYTES + 1)
        size = os.fstat(handle.fileno()).st_size
    truncated = len(head) > MAX_RENDER_BYTES
    # A cut may split a UTF-8 character: its bytes read as a stand-in, as a bad byte does.
    front_matter, body = split(head[:MAX_RENDER_BYTES].decode("utf-8", errors="replace"))
    meta = front_matter.model_dump(mode="json", exclude_none=True) if front_matter else None
    if meta is not None and not meta.get("sources"):
        meta.pop("sources", None)
    if truncated:
        body += (f"\n\n… (the first {MAX_RENDER_BYTES:,} bytes of {size:,}: "
                 "the whole file is at the link above)")
    return {"path": relative, "front_matter": meta, "html": render_markdown(body, md),
            "size": size, "truncated": truncated,
            "raw": raw_url(board.session_id, relative)}
