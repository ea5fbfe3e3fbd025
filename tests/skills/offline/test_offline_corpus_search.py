"""Searching the index: bm25 ranking, exact citations, and queries that look like FTS5 syntax."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skills.offline.corpus import MAX_QUERY_TERMS, CorpusIndex, Passage, fts_query

ALPHA = """# Leases

A lease marks a claimed task as running.
When the worker crashes, the lease expires.

Gardening tips: water the tomatoes.
"""

BETA = """Intro line.

Heartbeats renew the lease while the worker runs.
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> CorpusIndex:
    root = tmp_path_factory.mktemp("search-corpus")
    (root / "docs").mkdir()
    (root / "docs" / "alpha.md").write_text(ALPHA, encoding="utf-8")
    (root / "beta.txt").write_text(BETA, encoding="utf-8")
    (root / "same-a.md").write_text("Zebra stripes.\n", encoding="utf-8")
    (root / "same-b.md").write_text("Zebra stripes.\n", encoding="utf-8")
    built = CorpusIndex(tmp_path_factory.mktemp("home") / "corpus.db", root)
    built.refresh()
    return built


def test_citations_name_the_exact_lines(index: CorpusIndex) -> None:
    [hit] = index.search("crashes expires", limit=5)
    assert (hit.path, hit.start_line, hit.end_line) == ("docs/alpha.md", 3, 4)
    assert hit.citation == "docs/alpha.md:3-4"
    assert hit.section == "Leases"
    assert hit.text == "\n".join(ALPHA.split("\n")[2:4])
    assert hit.text.endswith("When the worker crashes, the lease expires.")


def test_single_line_passage_is_cited_by_one_line_number(index: CorpusIndex) -> None:
    [hit] = index.search("tomatoes")
    assert hit.citation == "docs/alpha.md:6"
    [hit] = index.search("heartbeats")
    assert hit.citation == "beta.txt:3"
    assert hit.text == "Heartbeats renew the lease while the worker runs."


def test_passage_matching_more_terms_ranks_first(index: CorpusIndex) -> None:
    hits = index.search("lease worker crashes expires")
    # The third stands under the heading "Leases": its section matches "lease".
    assert [h.citation for h in hits] == ["docs/alpha.md:3-4", "beta.txt:3", "docs/alpha.md:6"]
    assert hits[0].score > hits[1].score > hits[2].score > 0


def test_stemming_matches_other_word_forms(index: CorpusIndex) -> None:
    assert [h.citation for h in index.search("crash expiring heartbeat")] == [
        "docs/alpha.md:3-4",
        "beta.txt:3",
    ]


def test_near_duplicates_collapse_into_the_first_by_path(index: CorpusIndex) -> None:
    hits = index.search("zebra")
    assert [h.citation for h in hits] == ["same-a.md:1"]


def test_limit_caps_the_results(index: CorpusIndex) -> None:
    assert len(index.search("lease zebra tomatoes", limit=2)) == 2
    assert index.search("lease", limit=0) == []


def test_query_without_keywords_returns_nothing(index: CorpusIndex) -> None:
    assert index.search("") == []
    assert index.search("what is the and of it?") == []


def test_unknown_words_return_nothing(index: CorpusIndex) -> None:
    assert index.search("quasar nebula") == []


def test_same_corpus_and_query_give_the_same_results_in_another_index(
    index: CorpusIndex, tmp_path: Path
) -> None:
    rebuilt = CorpusIndex(tmp_path / "again.db", index.root)
    rebuilt.refresh()
    query = "lease worker zebra tomatoes intro"
    assert rebuilt.search(query, limit=10) == index.search(query, limit=10)


def test_search_on_a_never_refreshed_index_is_empty(tmp_path: Path) -> None:
    assert CorpusIndex(tmp_path / "idx.db", tmp_path).search("lease") == []


def test_passage_is_an_immutable_model() -> None:
    passage = Passage(path="a.md", start_line=2, end_line=5, text="t", score=1.5)
    assert passage.citation == "a.md:2-5"
    with pytest.raises(ValueError, match="frozen"):
        passage.path = "b.md"


def test_fts_query_quotes_every_term_and_ors_them() -> None:
    assert fts_query('lease AND "worker" NEAR(x) -crash col:value*') == (
        '"lease" OR "worker" OR "near" OR "crash" OR "col" OR "value"'
    )


def test_fts_query_is_empty_without_keywords() -> None:
    assert fts_query("the and of ?!") == ""


def test_fts_query_caps_the_number_of_terms() -> None:
    query = " ".join(f"term{i}" for i in range(100))
    assert fts_query(query).count(" OR ") == MAX_QUERY_TERMS - 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"lease',
        "*",
        "lease*",
        "AND",
        "lease AND",
        "OR OR",
        "NOT lease",
        "NEAR(",
        "NEAR(lease worker, 2)",
        "-",
        "-lease",
        ":",
        "text:lease",
        "{text}: lease",
        "^lease",
        "(lease",
        "lease)",
        "don't",
        "'",
        "lease + worker",
        "\x00lease",
        "dead-letter",
    ],
)
def test_fts_syntax_in_the_query_never_raises(index: CorpusIndex, query: str) -> None:
    hits = index.search(query)
    assert all(isinstance(hit, Passage) for hit in hits)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=-1, max_value=20))
def test_arbitrary_text_never_raises(index: CorpusIndex, query: str, limit: int) -> None:
    hits = index.search(query, limit=limit)
    assert len(hits) <= max(limit, 0)
    assert all(hit.start_line <= hit.end_line for hit in hits)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(['"', "*", "AND", "OR", "NOT", "NEAR(", ")", "-", ":", "^", "lease", "{"]),
        max_size=12,
    ).map(" ".join)
)
def test_fts_operator_soup_never_raises(index: CorpusIndex, query: str) -> None:
    index.search(query)
