"""Choose how to cut a corpus file into passages, by its kind.

Python is cut along its definitions with ``ast`` (``python_passages``); Go, JavaScript,
TypeScript, Rust, C and Java along theirs with tree-sitter (``code_passages``); Markdown
and reStructuredText along their sections (``doc_passages``); every other file, and code
that does not parse, into blank-line blocks (``passages``).
"""

from __future__ import annotations

from dataclasses import replace

from .code_passages import chunk_code
from .doc_passages import chunk_markdown, chunk_rst
from .passages import Chunk, chunk_lines, is_code_path
from .python_passages import chunk_python

__all__ = ["chunk_file"]

_MARKDOWN = (".md", ".markdown", ".mdx")
_RST = (".rst", ".rest", ".txt.rst")


def chunk_file(path: str, lines: list[str]) -> list[Chunk]:
    """The passages of the file at corpus path ``path`` whose lines are ``lines``."""
    lower = path.lower()
    clean = [line.removesuffix("\r") for line in lines]
    found = chunk_python(clean) if lower.endswith((".py", ".pyi")) else chunk_code(lower, clean)
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
