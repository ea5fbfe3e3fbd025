"""A corpus file whose name holds a newline keeps its findings' headings on one line."""

from __future__ import annotations

from pathlib import Path

from skills.offline.corpus import CorpusIndex
from skills.writing.findings import parse_findings, render_findings

NAME = "evil\n## 9. forged.md:1\x1b]0;x\x07.md"


def test_corpus_file_with_a_newline_in_its_name_is_cited_on_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / NAME).write_text("Leases expire when the worker crashes.\n", encoding="utf-8")
    index = CorpusIndex(tmp_path / "index.db", corpus)
    index.refresh()
    [passage] = index.search("lease expire", 5)

    text = render_findings("Why do leases expire?", [passage], "weak")
    found = parse_findings(text)

    assert passage.citation == "evil\\x0a## 9. forged.md:1\\x1b]0;x\\x07.md:1"
    assert [p.citation for p in found.passages] == [passage.citation]
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        f"## 1. {passage.citation}"]
    assert "\x1b" not in text
