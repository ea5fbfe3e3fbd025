"""Cut a Python file into passages along its structure, with ``ast``.

Each function, method and class is a passage named by its qualified name
(``StreamReader.feed_data``): a class's passage is its header, docstring and attributes
up to its first method, and each method is a passage of its own. The comment lines
directly above a definition belong to it. Module-level code between definitions is cut
at blank lines; a block of nothing but comments is marked as such, since it names a
thing without doing it. A file that does not parse is cut at blank lines.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import replace

from .code_pieces import code_pieces, loose_code_pieces
from .passages import Chunk

__all__ = ["chunk_python"]

_COMMENT_MARKS = ("#",)

_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def chunk_python(lines: list[str]) -> list[Chunk] | None:
    """The passages of a Python file's lines; None when it does not parse, or when a bare
    carriage return would make the parser's line numbers differ from ours."""
    source = "\n".join(lines)
    if "\r" in source:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in old code are not our concern
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    chunks: list[Chunk] = []
    _body(lines, tree.body, 0, len(lines), "", chunks)
    return sorted(chunks, key=lambda c: c.start_line)


def _body(lines: list[str], body: list[ast.stmt], start: int, end: int, prefix: str,
          out: list[Chunk]) -> None:
    """Passages for the statements of a module or class body within lines[start:end]."""
    cursor = start
    for node in _definitions(body):
        first = _first_line(lines, node, cursor)
        out += loose_code_pieces(lines, cursor, first, prefix.rstrip("."), _COMMENT_MARKS)
        last = node.end_lineno or node.lineno
        name = prefix + node.name
        if isinstance(node, ast.ClassDef):
            methods = _definitions(node.body)
            header_end = _first_line(lines, methods[0], first) if methods else last
            header = code_pieces(lines, first, header_end, name, _COMMENT_MARKS)
            bare = not ast.get_docstring(node) and len(node.body) <= len(methods) + 2
            if bare and (methods or header_end - first <= 3):
                # `class StreamReader:` and an attribute or two (or `pass`) only names it.
                header = [replace(chunk, kind="heading") for chunk in header]
            out.extend(header)
            if methods:
                _body(lines, node.body, header_end, last, name + ".", out)
        else:
            out.extend(code_pieces(lines, first, last, name, _COMMENT_MARKS))
        cursor = last
    out += loose_code_pieces(lines, cursor, end, prefix.rstrip("."), _COMMENT_MARKS)


def _definitions(body: list[ast.stmt]) -> list[_Definition]:
    """The definitions of a body, with those under an `if`, `try` or `with` at its level
    (`if _mswindows: def _communicate…`), in line order."""
    found: list[_Definition] = []
    for node in body:
        if isinstance(node, _Definition):
            found.append(node)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for branch in ("body", "orelse", "finalbody"):
                found += _definitions(getattr(node, branch, []))
            for handler in getattr(node, "handlers", []):
                found += _definitions(handler.body)
    return found


def _first_line(lines: list[str], node: _Definition, floor: int) -> int:
    """0-based first line of a definition: its first decorator, or the comments just above."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    while first > floor and lines[first - 1].strip().startswith("#"):
        first -= 1
    return first
