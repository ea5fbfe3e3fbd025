"""Chasing the definitions of the identifiers that the best passages name."""

from __future__ import annotations

from pathlib import Path

import pytest

from skills.offline.chase import ChaseLimits, chase, definitions, identifiers_named
from skills.offline.corpus import CorpusIndex, Passage

CODE_CORPUS = Path(__file__).resolve().parents[2] / "data" / "tinyqueue"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CorpusIndex:
    built = CorpusIndex(tmp_path_factory.mktemp("chase") / "corpus.db", CODE_CORPUS)
    built.refresh()
    return built


def code(text: str, path: str = "pkg/a.py", symbol: str = "") -> Passage:
    return Passage(path=path, start_line=1, end_line=1, text=text, score=1.0, symbol=symbol,
                   kind="code")


def test_identifiers_named_are_compound_names_and_calls_in_code_not_defined_there() -> None:
    found = identifiers_named([code(
        "def recover(self):\n    ids = self.leases.expired_tasks(now)\n"
        "    self.release(ids)\n    print(len(ids))\n    return StreamReader()",
        symbol="Q.recover")])
    assert [(n.name, n.compound) for n in found] == [
        ("expired_tasks", True), ("release", False), ("StreamReader", True)]
    prose = Passage(path="a.md", start_line=1, end_line=1, score=1.0,
                    text="Retries (see below) call pause_reading.")
    assert [n.name for n in identifiers_named([prose])] == ["pause_reading"]


def test_a_definition_is_a_function_of_that_name(index: CorpusIndex) -> None:
    [found] = definitions(index, "expired_tasks")
    assert (found.citation, found.symbol) == ("tinyqueue/leases.py:22-24",
                                              "LeaseBook.expired_tasks")


def test_a_chase_finds_definitions_within_its_budget(index: CorpusIndex) -> None:
    found = index.search("How does the queue recover crashed workers?", limit=1)
    assert found[0].symbol == "TaskQueue.recover_crashed_workers"
    result = chase(index, found, ChaseLimits(), budget=3)
    assert result.chased == ["expired_tasks", "release"]
    assert [p.symbol for p in result.passages] == [
        "LeaseBook.expired_tasks", "LeaseBook.release"]
    assert chase(index, found, ChaseLimits(), budget=1).chased == ["expired_tasks"]
    assert chase(index, found, ChaseLimits(), budget=0).chased == []


def test_the_question_s_own_terms_are_not_chased(index: CorpusIndex) -> None:
    found = index.search("How does the queue recover crashed workers?", limit=1)
    assert chase(index, found, ChaseLimits(), 3, searched=["expired_tasks"]).chased == [
        "release"]


def test_a_bare_class_header_is_no_definition_worth_chasing(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "bare.py").write_text("class EmptyThing(Base):\n    pass\n", encoding="utf-8")
    (root / "use.py").write_text("def make():\n    return EmptyThing()\n", encoding="utf-8")
    built = CorpusIndex(tmp_path / "corpus.db", root)
    built.refresh()
    assert definitions(built, "EmptyThing") == []
    assert chase(built, built.search("make", limit=1), ChaseLimits(), 3).chased == []
