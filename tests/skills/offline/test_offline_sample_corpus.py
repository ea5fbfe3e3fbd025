"""The sample corpus shipped in the repository answers the README's example request."""

from __future__ import annotations

from pathlib import Path

import pytest

from skills.offline import (
    CorpusIndex,
    Passage,
    disagreements,
    evidence_strength,
    keywords,
    recurring_files,
    split_request,
)

SAMPLE = Path(__file__).resolve().parents[3] / "corpus"
README_EXAMPLE = (
    "How do task queues survive worker crashes? Compare retries with backoff and leases; "
    "and what should a dead-letter queue hold?"
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CorpusIndex:
    built = CorpusIndex(tmp_path_factory.mktemp("home") / "corpus.db", SAMPLE)
    built.refresh()
    return built


@pytest.fixture(scope="module")
def findings(index: CorpusIndex) -> dict[str, list[Passage]]:
    return {question: index.search(question, limit=5) for question in split_request(README_EXAMPLE)}


def test_sample_corpus_is_a_dozen_small_text_files() -> None:
    files = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
    assert 8 <= len(files) <= 15
    assert all(p.suffix in {".md", ".txt"} and p.stat().st_size < 6000 for p in files)


def test_every_sub_question_has_strong_evidence(findings: dict[str, list[Passage]]) -> None:
    assert len(findings) == 3
    for question, passages in findings.items():
        assert evidence_strength(passages, keywords(question)) == "strong", question


def test_answers_cite_the_files_about_each_topic(findings: dict[str, list[Passage]]) -> None:
    crashes, retries, dead_letters = ({p.path for p in passages} for passages in findings.values())
    assert {"leases-and-heartbeats.md", "worker-supervision.md"} <= crashes
    assert {"retries-and-backoff.md", "leases-and-heartbeats.md"} <= retries
    assert "dead-letter-queues.md" in dead_letters


def test_findings_cite_several_files(findings: dict[str, list[Passage]]) -> None:
    cited = {p.path for passages in findings.values() for p in passages}
    assert len(cited) >= 5
    assert recurring_files([p for passages in findings.values() for p in passages])


def test_citations_point_at_the_quoted_lines(findings: dict[str, list[Passage]]) -> None:
    for passages in findings.values():
        for hit in passages:
            lines = (SAMPLE / hit.path).read_text(encoding="utf-8").split("\n")
            assert hit.text == "\n".join(lines[hit.start_line - 1 : hit.end_line])


def test_dead_letter_answer_says_what_an_entry_holds(findings: dict[str, list[Passage]]) -> None:
    dead_letters = list(findings.values())[2]
    texts = " ".join(p.text for p in dead_letters)
    assert "original payload" in texts
    assert "history of attempts" in texts


def test_critique_finds_the_disagreement_in_the_example_findings(
    findings: dict[str, list[Passage]],
) -> None:
    found = disagreements([p for passages in findings.values() for p in passages])
    pairs = {(a.path, b.path) for a, b in found}
    assert ("dead-letter-queues.md", "operations-field-notes.md") in pairs


def test_corpus_disagrees_about_capping_retries(index: CorpusIndex) -> None:
    passages = index.search("unlimited retries for transient errors, or a cap?", limit=5)
    pairs = {(a.path, b.path) for a, b in disagreements(passages)}
    assert ("retries-and-backoff.md", "operations-field-notes.md") in pairs
