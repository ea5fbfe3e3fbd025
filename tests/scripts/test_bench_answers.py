"""The answers bench: how citations are read and matched against the key places."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bench_answers import corpus_dir, first_hit, place_lines, report_citations
from bench_answers_questions import CORPORA, QUESTIONS, KeyPlace, Question


def test_report_citations_are_read_once_each_in_order() -> None:
    report = "See [a.py:3-9] and [docs/x.md:4].\n\n- `a.py:3-9`\n[a.py:3-9] [b.py:1-2]"
    assert report_citations(report) == [("a.py", 3, 9), ("docs/x.md", 4, 4), ("b.py", 1, 2)]


def test_a_hit_is_the_first_citation_overlapping_a_key_place_within_the_first_ten() -> None:
    places = {"a.py": [(10, 20)]}
    assert first_hit([("b.py", 10, 20), ("a.py", 1, 9), ("a.py", 20, 30)], places) == 3
    assert first_hit([("b.py", 1, 1)] * 10 + [("a.py", 10, 10)], places) is None


def test_a_key_place_names_a_method_by_its_qualified_name(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "class A:\n    if X:\n        def f(self):\n            return 1\n", encoding="utf-8")
    assert place_lines(tmp_path, KeyPlace("m.py", "A.f")) == (3, 4)
    assert place_lines(tmp_path, KeyPlace("m.py", lines=(1, 2))) == (1, 2)
    assert place_lines(tmp_path, KeyPlace("m.py")) == (1, 5)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.text[:40])
def test_every_key_place_of_the_bench_exists_in_its_corpus(question: Question) -> None:
    corpus = next(c for c in CORPORA if c.name == question.corpus)
    root = (Path(shutil.__file__).parent if corpus.source == "stdlib"
            else corpus_dir(corpus, Path("/nonexistent")))
    if not root.is_dir():
        pytest.skip(f"corpus {corpus.name} is not installed here")
    for place in question.places:
        first, last = place_lines(root, place)
        assert 1 <= first <= last
