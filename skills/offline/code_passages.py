"""Cut Go, JavaScript, TypeScript, Rust, C and Java files into passages along their
definitions, with tree-sitter.

Each function, method, class, struct, interface, trait, impl and module is a passage
named by its qualified name: ``Server.Start`` for a Go method (by its receiver),
``Foo.bar`` for a function of Rust's ``impl Foo``, ``Server.start`` for a method of a
JavaScript, TypeScript or Java class. A container's passage is its header up to its
first member, and each member is a passage of its own; the comments, attributes and
decorators directly above a definition belong to it. Code between definitions is cut at
blank lines, and a closing brace alone is dropped (it says nothing). A definition holding
a syntax error (a C function split across `#if` branches) is code between definitions
too, so one such spot does not lose a file's structure; a file with syntax errors and no
sound definition, or whose grammar wheel is missing, gives None: the caller cuts it at
blank lines instead.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .code_pieces import code_pieces, loose_code_pieces
from .passages import Chunk

if TYPE_CHECKING:
    # Imported where a file is cut: a worker that never reads code need not carry it.
    from tree_sitter import Language, Node

__all__ = ["GRAMMAR_SUFFIXES", "chunk_code"]

_COMMENT_MARKS = ("//", "/*", "*")


@dataclass(frozen=True)
class _Grammar:
    """A language's grammar wheel (``module.function()`` gives it) and the node types
    cut as definitions; ``containers`` are those whose ``body`` holds member definitions."""

    module: str
    function: str
    definitions: frozenset[str]
    containers: frozenset[str] = frozenset()


_JS_DEFINITIONS = frozenset({
    "function_declaration", "generator_function_declaration", "class_declaration",
    "method_definition", "lexical_declaration", "variable_declaration",
})
_TS_DEFINITIONS = _JS_DEFINITIONS | {
    "abstract_class_declaration", "interface_declaration", "enum_declaration",
    "type_alias_declaration", "internal_module", "module", "function_signature",
    "method_signature", "abstract_method_signature",
}
_JS_CONTAINERS = frozenset({"class_declaration"})
_TS_CONTAINERS = _JS_CONTAINERS | {
    "abstract_class_declaration", "interface_declaration", "internal_module", "module"}

_GO = _Grammar("tree_sitter_go", "language", frozenset({
    "function_declaration", "method_declaration", "type_declaration"}))
_RUST = _Grammar("tree_sitter_rust", "language", frozenset({
    "function_item", "function_signature_item", "struct_item", "enum_item", "union_item",
    "trait_item", "impl_item", "mod_item", "macro_definition", "type_item"}),
    frozenset({"trait_item", "impl_item", "mod_item"}))
_JAVASCRIPT = _Grammar("tree_sitter_javascript", "language", _JS_DEFINITIONS, _JS_CONTAINERS)
_TYPESCRIPT = _Grammar("tree_sitter_typescript", "language_typescript", _TS_DEFINITIONS,
                       _TS_CONTAINERS)
_TSX = _Grammar("tree_sitter_typescript", "language_tsx", _TS_DEFINITIONS, _TS_CONTAINERS)
_C = _Grammar("tree_sitter_c", "language", frozenset({
    "function_definition", "struct_specifier", "union_specifier", "enum_specifier",
    "type_definition"}))
_JAVA_TYPES = frozenset({
    "class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
    "annotation_type_declaration"})
_JAVA = _Grammar("tree_sitter_java", "language",
                 _JAVA_TYPES | {"method_declaration", "constructor_declaration"}, _JAVA_TYPES)

_BY_SUFFIX = {
    ".go": _GO, ".rs": _RUST, ".java": _JAVA, ".c": _C, ".h": _C,
    ".js": _JAVASCRIPT, ".jsx": _JAVASCRIPT, ".mjs": _JAVASCRIPT, ".cjs": _JAVASCRIPT,
    ".ts": _TYPESCRIPT, ".mts": _TYPESCRIPT, ".cts": _TYPESCRIPT, ".tsx": _TSX,
}
GRAMMAR_SUFFIXES = frozenset(_BY_SUFFIX)

# Above a definition and part of its passage: comments, Rust's `#[derive(...)]`, decorators.
_LEADING = frozenset({"comment", "line_comment", "block_comment", "attribute_item",
                      "decorator"})
# Hold one definition whose passage starts with theirs: `export class`, `declare function`,
# a TypeScript `namespace` (an expression statement).
_WRAPPERS = frozenset({"export_statement", "expression_statement", "ambient_declaration"})
# Their children count as members of the body around them: a Java enum's methods, C
# definitions under `#ifdef`.
_SPLICED = frozenset({"enum_body_declarations", "preproc_if", "preproc_ifdef",
                      "preproc_else", "preproc_elif", "preproc_elifdef"})
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function",
                              "generator_function", "class"})
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class _Definition:
    """A definition named ``name`` whose passage starts at row ``first`` (its leading
    comments included) and ends at row ``last`` (0-based, inclusive); ``inner`` is the
    definition itself when ``node`` wraps it (`export class ...`)."""

    node: Node
    inner: Node
    name: str
    first: int
    last: int


def chunk_code(path: str, lines: list[str]) -> list[Chunk] | None:
    """The passages of a source file at ``path`` whose lines (without line breaks) are
    ``lines``; None when its language has no grammar here, or the file has syntax errors
    and no sound definition."""
    dot = path.rfind(".")
    grammar = _BY_SUFFIX.get(path[dot:].lower()) if dot > path.rfind("/") else None
    language = _language(grammar.module, grammar.function) if grammar else None
    if grammar is None or language is None:
        return None
    # Rows count "\n" only, as our line numbers do; bytes that are not UTF-8 cannot occur
    # in a decoded file, and a replaced one would not move a row.
    from tree_sitter import Parser

    tree = Parser(language).parse("\n".join(lines).encode("utf-8", "replace"))
    chunks: list[Chunk] = []
    try:
        definitions = _definitions(grammar, tree.root_node.children)
        if tree.root_node.has_error and not definitions:
            return None
        _walk(lines, grammar, definitions, 0, len(lines), "", chunks)
    except RecursionError:  # thousands of nested `#if` or classes: not worth a structure
        return None
    return sorted(chunks, key=lambda c: c.start_line)


@functools.cache
def _language(module: str, function: str) -> Language | None:
    """The grammar from its wheel, or None when the wheel is missing or was built for
    another version of the tree-sitter library."""
    try:
        from tree_sitter import Language

        return Language(getattr(importlib.import_module(module), function)())
    except (ImportError, AttributeError, ValueError):
        return None


def _walk(lines: list[str], grammar: _Grammar, definitions: list[_Definition], start: int,
          end: int, prefix: str, out: list[Chunk]) -> None:
    """Passages for the definitions of a body within rows [start, end), and the code
    between them."""
    cursor = start
    for definition in definitions:
        first, last = max(definition.first, cursor), definition.last + 1
        if last <= first:  # it shares its only row with the definition before it
            continue
        out += _loose(lines, cursor, first, prefix.rstrip("."))
        name = prefix + definition.name
        body = definition.inner.child_by_field_name("body")
        members = (_definitions(grammar, body.children)
                   if body is not None and definition.inner.type in grammar.containers
                   else [])
        # A container opening on its first member's row (`enum Mode { ON; void flip() {} }`)
        # is one passage: its members share its lines.
        if members and members[0].first > definition.node.start_point.row:
            out += _header(lines, definition, first, members[0].first, name)
            _walk(lines, grammar, members, members[0].first, last, name + ".", out)
        else:
            out += code_pieces(lines, first, last, name, _COMMENT_MARKS)
        cursor = last
    out += _loose(lines, cursor, end, prefix.rstrip("."))


def _header(lines: list[str], definition: _Definition, first: int, end: int,
            name: str) -> list[Chunk]:
    """A container's passage up to its first member; a heading when it is its opening
    line or two and no comment says what it is for (`impl Foo {` only names it)."""
    header = code_pieces(lines, first, end, name, _COMMENT_MARKS)
    own_rows = [line for line in lines[definition.node.start_point.row:end] if line.strip()]
    if definition.first == definition.node.start_point.row and len(own_rows) <= 2:
        return [replace(chunk, kind="heading") for chunk in header]
    return header


def _loose(lines: list[str], start: int, end: int, symbol: str) -> list[Chunk]:
    return [chunk for chunk in loose_code_pieces(lines, start, end, symbol, _COMMENT_MARKS)
            if any(character.isalnum() for character in chunk.text)]


def _definitions(grammar: _Grammar, nodes: list[Node]) -> list[_Definition]:
    """The definitions among a body's nodes, each with the comments just above it."""
    found: list[_Definition] = []
    leading_first: int | None = None
    leading_last = -2
    for node in _members(nodes):
        if node.type in _LEADING:
            if leading_first is None or node.start_point.row > leading_last + 1:
                leading_first = node.start_point.row
            leading_last = _last_row(node)
            continue
        inner = _unwrapped(node)
        sound = inner.type in grammar.definitions and not node.has_error
        name = _name(inner) if sound else ""
        if name:
            first = node.start_point.row
            if leading_first is not None and first <= leading_last + 1:
                first = leading_first
            found.append(_Definition(node, inner, name, first, _last_row(node)))
        leading_first = None
    return found


def _members(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        if node.type in _SPLICED:
            yield from _members(node.children)
        elif node.is_named:
            yield node


def _unwrapped(node: Node) -> Node:
    while node.type in _WRAPPERS:
        inner = node.child_by_field_name("declaration") or next(
            (child for child in node.named_children if child.type not in _LEADING), None)
        if inner is None:
            return node
        node = inner
    return node


def _last_row(node: Node) -> int:
    """The last row holding the node's text: a Rust `///` comment ends at the start of
    the next row, past its line break."""
    end = node.end_point
    return end.row - 1 if end.column == 0 and end.row > node.start_point.row else end.row


def _text(node: Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode("utf-8", "replace")


def _type_name(node: Node | None) -> str:
    """The bare name of a type: `*Server` → `Server`, `fmt::Display` → `Display`,
    `Wrap<T>` → `Wrap`."""
    before_generics = re.split(r"[<\[]", _text(node), maxsplit=1)[0]
    names = _IDENTIFIER.findall(before_generics)
    return names[-1] if names else ""


def _field_name(node: Node) -> str:
    return _text(node.child_by_field_name("name"))


def _go_method_name(node: Node) -> str:
    """`func (s *Server) Start()` is `Server.Start`; a Java method has no receiver."""
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return _field_name(node)
    declaration = next((c for c in receiver.named_children
                        if c.type == "parameter_declaration"), None)
    owner = _type_name(declaration.child_by_field_name("type")) if declaration else ""
    return f"{owner}.{_field_name(node)}" if owner else _field_name(node)


def _go_type_names(node: Node) -> str:
    """`type Server struct` is `Server`; a `type (...)` group is named by all its types."""
    return ", ".join(_field_name(spec) for spec in node.named_children
                     if spec.type in ("type_spec", "type_alias"))


def _rust_impl_name(node: Node) -> str:
    """`impl Foo` and `impl fmt::Display for Foo<T>` are both `Foo`: the type they extend."""
    return _type_name(node.child_by_field_name("type"))


def _c_declared_name(node: Node) -> str:
    """The identifier at the heart of a C declarator: `static int *make(int n)` → `make`,
    `typedef int (*compare_fn)(...)` → `compare_fn`."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.child_by_field_name("declarator") is not None:
        declarator = declarator.child_by_field_name("declarator")
    names = _IDENTIFIER.findall(_text(declarator))
    return names[-1] if names else ""


def _js_variable_name(node: Node) -> str:
    """`const helper = (a) => a + 1` defines `helper`; other variables define nothing."""
    declarators = [c for c in node.named_children if c.type == "variable_declarator"]
    if len(declarators) != 1:
        return ""
    value = declarators[0].child_by_field_name("value")
    return _field_name(declarators[0]) if value and value.type in _FUNCTION_VALUES else ""


_NAMERS: dict[str, Callable[[Node], str]] = {
    "method_declaration": _go_method_name,
    "type_declaration": _go_type_names,
    "impl_item": _rust_impl_name,
    "function_definition": _c_declared_name,
    "type_definition": _c_declared_name,
    "lexical_declaration": _js_variable_name,
    "variable_declaration": _js_variable_name,
}


def _name(node: Node) -> str:
    return _NAMERS.get(node.type, _field_name)(node)
