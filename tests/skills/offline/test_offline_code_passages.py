"""Go, JavaScript, TypeScript, Rust, C and Java cut along their definitions (tree-sitter)."""

from __future__ import annotations

import importlib
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skills.offline import code_passages
from skills.offline.chunking import chunk_file
from skills.offline.corpus import CorpusIndex

GO = """package server

import "net"

// Server accepts connections.
type Server struct {
\tlistener net.Listener
}

// Start listens on addr.
func (s *Server) Start(addr string) error {
\treturn nil
}

func (c Cache[K]) Get(key K) string { return "" }

func NewServer() *Server {
\treturn &Server{}
}
"""

JAVASCRIPT = """import net from "node:net";

/** Accepts connections. */
export class Server extends Base {
  constructor(port) {
    this.port = port;
  }

  @logged
  start() {
    return net.listen(this.port);
  }
}

export default function main() {}

const helper = (a) => a + 1;
module.exports = { helper };
"""

TYPESCRIPT = """export interface Shape {
  area(): number;
}

namespace Geometry {
  export function distance(a: number): number { return a; }
}

export type Id = string;
"""

RUST = """//! Points.
use std::fmt;

/// A point.
#[derive(Debug)]
pub struct Point {
    x: i32,
}

impl Point {
    /// The origin.
    pub fn origin() -> Self {
        Point { x: 0 }
    }
}

impl<T> fmt::Display for Wrapper<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "w")
    }
}

mod tests {
    fn works() {}
}
"""

C = """#include <stdio.h>

/* A point. */
struct point {
    int x;
};

typedef struct { int a; } pair;
typedef int (*compare_fn)(const void *, const void *);

static int *make_point(int n)
{
    return 0;
}

#ifdef DEBUG
int debug_dump(void) { return 1; }
#endif
"""

JAVA = """package server;

/** Accepts connections. */
@Deprecated
public class Server {
    private int port;

    public Server(int port) { this.port = port; }

    @Override
    public String toString() {
        return "server";
    }

    static class Worker {
        void run() {}
    }
}

interface Api { void call(); }
"""


def summary(path: str, text: str) -> list[tuple[int, int, str, str]]:
    return [(c.start_line, c.end_line, c.symbol, c.kind)
            for c in chunk_file(path, text.split("\n"))]


def test_go_methods_are_named_by_their_receiver_type() -> None:
    assert summary("server.go", GO) == [
        (1, 1, "", "code"),
        (3, 3, "", "code"),
        (5, 8, "Server", "code"),
        (10, 13, "Server.Start", "code"),
        (15, 15, "Cache.Get", "code"),
        (17, 19, "NewServer", "code"),
    ]


def test_javascript_methods_are_named_by_their_class_and_keep_their_decorators() -> None:
    assert summary("server.js", JAVASCRIPT) == [
        (1, 1, "", "code"),
        (3, 4, "Server", "code"),
        (5, 7, "Server.constructor", "code"),
        (9, 12, "Server.start", "code"),
        (15, 15, "main", "code"),
        (17, 17, "helper", "code"),
        (18, 18, "", "code"),
    ]


def test_typescript_interfaces_namespaces_and_types_are_definitions() -> None:
    assert summary("shapes.ts", TYPESCRIPT) == [
        (1, 1, "Shape", "heading"),
        (2, 2, "Shape.area", "code"),
        (5, 5, "Geometry", "heading"),
        (6, 6, "Geometry.distance", "code"),
        (9, 9, "Id", "code"),
    ]


def test_rust_impl_functions_are_named_by_the_type_they_extend() -> None:
    assert summary("point.rs", RUST) == [
        (1, 2, "", "code"),
        (4, 8, "Point", "code"),
        (10, 10, "Point", "heading"),
        (11, 14, "Point.origin", "code"),
        (17, 17, "Wrapper", "heading"),
        (18, 20, "Wrapper.fmt", "code"),
        (23, 23, "tests", "heading"),
        (24, 24, "tests.works", "code"),
    ]


def test_c_functions_structs_and_typedefs_including_those_under_ifdef() -> None:
    assert summary("point.c", C) == [
        (1, 1, "", "code"),
        (3, 6, "point", "code"),
        (8, 8, "pair", "code"),
        (9, 9, "compare_fn", "code"),
        (11, 14, "make_point", "code"),
        (16, 16, "", "code"),
        (17, 17, "debug_dump", "code"),
        (18, 18, "", "code"),
    ]


def test_a_definition_with_a_syntax_error_is_cut_at_blank_lines_and_the_rest_kept() -> None:
    source = "int ok(void) { return 1; }\n\nint broken(void) { return ( ; }\n"
    assert summary("mixed.c", source) == [(1, 1, "ok", "code"), (3, 3, "", "code")]


def test_java_members_are_named_by_their_enclosing_classes() -> None:
    assert summary("Server.java", JAVA) == [
        (1, 1, "", "code"),
        (3, 6, "Server", "code"),
        (8, 8, "Server.Server", "code"),
        (10, 13, "Server.toString", "code"),
        (15, 15, "Server.Worker", "heading"),
        (16, 16, "Server.Worker.run", "code"),
        (20, 20, "Api", "code"),
    ]


def test_a_definition_passage_quotes_its_lines_with_the_comment_above_it() -> None:
    start = next(c for c in chunk_file("server.go", GO.split("\n"))
                 if c.symbol == "Server.Start")
    assert start.text == "\n".join(GO.split("\n")[9:13])
    assert start.text.startswith("// Start listens on addr.\nfunc (s *Server) Start(")


def test_code_with_a_syntax_error_is_cut_at_blank_lines() -> None:
    assert summary("broken.go", "package a\n\nfunc f( {\n}\n") == [
        (1, 1, "", "code"), (3, 4, "", "code")]


def test_a_missing_grammar_wheel_leaves_blank_line_blocks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_module(name: str) -> object:
        raise ImportError(name)

    code_passages._language.cache_clear()
    monkeypatch.setattr(importlib, "import_module", no_such_module)
    try:
        assert summary("server.go", GO)[3] == (10, 13, "", "code")
    finally:
        code_passages._language.cache_clear()


def test_windows_line_endings_keep_the_line_numbers_and_stay_out_of_the_text() -> None:
    lines = ["package a\r", "\r", "func Run() {\r", "}\r", ""]
    assert [(c.start_line, c.end_line, c.symbol, c.text) for c in chunk_file("a.go", lines)] == [
        (1, 1, "", "package a"), (3, 4, "Run", "func Run() {\n}")]


def test_a_search_for_a_function_name_finds_its_definition_with_its_symbol(
        tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "server.go").write_text(GO, encoding="utf-8")
    (root / "point.rs").write_text(RUST, encoding="utf-8")
    index = CorpusIndex(tmp_path / "corpus.db", root)
    index.refresh()
    [start, *_] = index.search("Start", limit=3)
    assert (start.citation, start.symbol) == ("server.go:10-13", "Server.Start")
    [origin, *_] = index.search("origin", limit=3)
    assert (origin.citation, origin.symbol) == ("point.rs:11-14", "Point.origin")


_CODE_LINES = st.lists(st.sampled_from([
    "", "package a", "func F() {", "func (s *S) M() {", "}", "// note", "/* block */",
    "type S struct {", "x int", "fn f() {}", "impl A {", "class A {", "  m() {}",
    "#[test]", "const g = () => 1;", "int f(void) {", "return 1;", "interface I {",
    "void m();", "export class B {", "@deco",
]), max_size=30)


@given(lines=_CODE_LINES, suffix=st.sampled_from(sorted(code_passages.GRAMMAR_SUFFIXES)))
@settings(max_examples=300, deadline=None)
def test_code_passages_quote_their_lines_exactly_and_never_overlap(
        lines: list[str], suffix: str) -> None:
    chunks = chunk_file("f" + suffix, lines)
    for before, after in pairwise(chunks):
        assert before.end_line < after.start_line
    for chunk in chunks:
        assert 1 <= chunk.start_line <= chunk.end_line <= len(lines)
        assert chunk.text == "\n".join(lines[chunk.start_line - 1:chunk.end_line])
