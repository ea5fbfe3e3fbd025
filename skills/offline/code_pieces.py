"""Cut a range of source lines into named passages of readable length.

Shared by the chunkers that follow a language's definitions (``python_passages`` with
``ast``, ``code_passages`` with tree-sitter): a definition's lines become one passage,
or several of at most ``MAX_CODE_LINES`` that keep its name, and the code between
definitions is cut at blank lines.
"""

from __future__ import annotations

from .passages import MAX_CHUNK_CHARS, Chunk, ChunkKind

__all__ = ["MAX_CODE_LINES", "code_pieces", "loose_code_pieces"]

# A longer function is cut into pieces of this many lines, each keeping its name.
MAX_CODE_LINES = 60


def loose_code_pieces(lines: list[str], start: int, end: int, symbol: str,
                      comment_marks: tuple[str, ...]) -> list[Chunk]:
    """Statements of lines[start:end] outside any definition, cut at blank lines."""
    pieces: list[Chunk] = []
    block_start: int | None = None
    for index in range(start, end + 1):
        blank = index == end or not lines[index].strip()
        if not blank and block_start is None:
            block_start = index
        elif blank and block_start is not None:
            pieces += code_pieces(lines, block_start, index, symbol, comment_marks)
            block_start = None
    return pieces


def code_pieces(lines: list[str], start: int, end: int, symbol: str,
                comment_marks: tuple[str, ...]) -> list[Chunk]:
    """lines[start:end] (trailing blanks dropped) as passages of at most MAX_CODE_LINES;
    a passage of nothing but lines opening with one of ``comment_marks`` is a comment."""
    while end > start and not lines[end - 1].strip():
        end -= 1
    pieces: list[Chunk] = []
    piece_start, size = start, 0
    for index in range(start, end):
        size += len(lines[index]) + 1
        if index + 1 == end or index + 1 - piece_start >= MAX_CODE_LINES or (
                size >= MAX_CHUNK_CHARS):
            text = lines[piece_start:index + 1]
            pieces.append(Chunk(piece_start + 1, index + 1, "\n".join(text), symbol=symbol,
                                kind=_kind(text, comment_marks)))
            piece_start, size = index + 1, 0
    return pieces


def _kind(text: list[str], comment_marks: tuple[str, ...]) -> ChunkKind:
    code = [line.strip() for line in text if line.strip()]
    return "comment" if all(line.startswith(comment_marks) for line in code) else "code"
