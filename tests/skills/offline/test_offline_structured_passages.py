"""Passages that follow a file's structure: Python definitions, document sections."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from skills.offline.chunking import chunk_file

PYTHON = '''"""A module."""

import os

# Flow Control


class StreamReader:
    """Reads from a transport."""

    limit = 10

    def feed_data(self, data):
        self._buffer.extend(data)
        if len(self._buffer) > self.limit:
            self._transport.pause_reading()

    # Resume when the buffer drains.
    @property
    def drained(self):
        return not self._buffer


def open_connection(host):
    return StreamReader()
'''


def summary(path: str, text: str) -> list[tuple[int, int, str, str, str]]:
    return [(c.start_line, c.end_line, c.symbol, c.section, c.kind)
            for c in chunk_file(path, text.split("\n"))]


def test_python_passages_are_definitions_with_qualified_names() -> None:
    assert summary("streams.py", PYTHON) == [
        (1, 1, "", "", "code"),
        (3, 3, "", "", "code"),
        (5, 5, "", "", "comment"),
        (8, 11, "StreamReader", "", "code"),
        (13, 16, "StreamReader.feed_data", "", "code"),
        (18, 21, "StreamReader.drained", "", "code"),
        (24, 25, "open_connection", "", "code"),
    ]


def test_python_passage_text_is_the_code_verbatim() -> None:
    feed = next(c for c in chunk_file("s.py", PYTHON.split("\n"))
                if c.symbol == "StreamReader.feed_data")
    assert feed.text == "\n".join(PYTHON.split("\n")[12:16])


def test_python_that_does_not_parse_is_cut_at_blank_lines() -> None:
    assert summary("bad.py", "def broken(:\n    pass\n\nx = 1\n") == [
        (1, 2, "", "", "code"), (4, 4, "", "", "code")]


RST = """Retrying tasks
==============

Tasks that fail are retried.

Backoff
-------

The delay doubles::

    delay = base * 2 ** attempt

Limits
------
"""


def test_rst_passages_carry_their_section_path_not_the_underline() -> None:
    chunks = chunk_file("guide.rst", RST.split("\n"))
    assert [(c.start_line, c.end_line, c.section, c.kind) for c in chunks] == [
        (4, 4, "Retrying tasks", "prose"),
        (9, 11, "Retrying tasks › Backoff", "prose"),
        (13, 14, "Retrying tasks › Limits", "heading"),
    ]
    assert "-----" not in chunks[1].text


MARKDOWN = """# Queues

Intro text.

## Leases

A lease expires.

```bash
# not a heading

echo run
```
"""


def test_markdown_sections_keep_fenced_code_whole_and_skip_fenced_hashes() -> None:
    assert summary("q.md", MARKDOWN) == [
        (3, 3, "", "Queues", "prose"),
        (7, 7, "", "Queues › Leases", "prose"),
        (9, 13, "", "Queues › Leases", "prose"),
    ]


def test_other_files_are_blank_line_blocks() -> None:
    assert summary("main.rb", "require 'x'\n\ndef main; end\n") == [
        (1, 1, "", "", "code"), (3, 3, "", "", "code")]
    assert summary("notes.txt", "One.\n\nTwo.\n") == [
        (1, 1, "", "", "prose"), (3, 3, "", "", "prose")]


def test_definitions_under_an_if_at_class_level_are_passages_of_their_own() -> None:
    source = ("class Popen:\n    if WINDOWS:\n        def _communicate(self):\n"
              "            return 1\n    else:\n        def _communicate(self):\n"
              "            return 2\n")
    assert summary("subprocess.py", source) == [
        (1, 2, "Popen", "", "heading"),
        (3, 4, "Popen._communicate", "", "code"),
        (5, 5, "Popen", "", "code"),
        (6, 7, "Popen._communicate", "", "code"),
    ]


_LINES = st.lists(st.sampled_from([
    "", "Title", "=====", "-----", "# Head", "```", "    indented", "def f():", "    return 1",
    "class A:", "    x = 1", "text: ", ".. py:method:: f", "~~~", "* item", "@deco",
    "func f() {", "}", "// note", "fn f() {}", "impl A {", "class A {", "  m() {}",
]) | st.text(max_size=12), max_size=30)


@given(lines=_LINES, suffix=st.sampled_from(
    [".py", ".md", ".rst", ".txt", ".go", ".rs", ".js", ".ts", ".java", ".c"]))
@settings(max_examples=200, deadline=None)
def test_every_passage_quotes_its_lines_exactly_whatever_the_file(
        lines: list[str], suffix: str) -> None:
    text = "\n".join(lines)
    split = text.split("\n")
    for chunk in chunk_file("f" + suffix, split):
        assert 1 <= chunk.start_line <= chunk.end_line <= len(split)
        assert chunk.text == "\n".join(
            line.removesuffix("\r") for line in split[chunk.start_line - 1:chunk.end_line])


def test_python_with_a_bare_carriage_return_is_cut_at_blank_lines() -> None:
    chunks = chunk_file("old.py", ["x = 1\ry = 2", "", "def f():", "    return 1"])
    assert [(c.start_line, c.end_line, c.symbol) for c in chunks] == [(1, 1, ""), (3, 4, "")]
