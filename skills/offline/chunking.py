"""Choose how to cut a corpus file into passages, by its kind.

Python is cut along its definitions (``python_passages``), Markdown and
reStructuredText along their sections (``doc_passages``); every other file, and Python
that does not parse, into blank-line blocks (``passages``). Grammars for other languages
(tree-sitter) are not used: the wheels are large and blank-line blocks of code are
quoted verbatim all the same.
"""

from __future__ import annotations

from dataclasses import replace

from .doc_passages import chunk_markdown, chunk_rst
from .passages import Chunk, chunk_lines, is_code_path
from .python_passages import chunk_python

__all__ = ["chunk_file"]

_MARKDOWN = (".md", ".markdown", ".mdx")
_RST = (".rst", ".rest", ".txt.rst")


def chunk_file(path: str, lines: list[str]) -> list[Chunk]:
    """The passages of the file at corpus path ``path`` whose lines are ``lines``."""
    lower = path.lower()
    if lower.endswith((".py", ".pyi")):
        found = chunk_python([line.removesuffix("\r") for line in lines])
        if found is not None:
            return found
    if lower.endswith(_MARKDOWN):
        return chunk_markdown(lines)
    if lower.endswith(_RST):
        return chunk_rst(lines)
    chunks = chunk_lines(lines)
    if is_code_path(path):
        return [replace(c, kind="code") for c in chunks]
    return chunks
