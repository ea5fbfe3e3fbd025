"""Splitting a request into sub-questions, and keyword extraction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skills.offline.subquestions import MAX_SUBQUESTIONS, keywords, split_request

README_EXAMPLE = (
    "How do task queues survive worker crashes? Compare retries with backoff and leases; "
    "and what should a dead-letter queue hold?"
)


def test_readme_example_splits_into_its_three_questions() -> None:
    assert split_request(README_EXAMPLE) == [
        "How do task queues survive worker crashes?",
        "Compare retries with backoff and leases",
        "What should a dead-letter queue hold?",
    ]


def test_sentences_become_sub_questions() -> None:
    text = "What is a lease? Why do workers heartbeat! Leases expire. Then what happens?"
    assert split_request(text) == [
        "What is a lease?",
        "Why do workers heartbeat!",
        "Leases expire.",
        "Then what happens?",
    ]


def test_abbreviation_does_not_end_a_sentence() -> None:
    text = "Explain transient errors, e.g. timeouts and resets. Why retry them?"
    assert split_request(text) == [
        "Explain transient errors, e.g. timeouts and resets.",
        "Why retry them?",
    ]


def test_bullets_become_sub_questions() -> None:
    text = "Cover these:\n- leases\n* heartbeats\n+ dead letters\n• backpressure"
    assert split_request(text) == [
        "Cover these:",
        "leases",
        "heartbeats",
        "dead letters",
        "backpressure",
    ]


def test_numbered_items_become_sub_questions() -> None:
    text = "1. What is WAL mode?\n2) How does locking work?\n  3. Why BEGIN IMMEDIATE?"
    assert split_request(text) == [
        "What is WAL mode?",
        "How does locking work?",
        "Why BEGIN IMMEDIATE?",
    ]


def test_prose_wrapped_over_lines_is_one_sentence() -> None:
    text = "How do leases\nprotect tasks\nfrom crashed workers?"
    assert split_request(text) == ["How do leases protect tasks from crashed workers?"]


def test_substantial_and_clauses_are_split() -> None:
    text = "Explain how leases expire and how workers renew them with heartbeats"
    assert split_request(text) == [
        "Explain how leases expire",
        "How workers renew them with heartbeats",
    ]


def test_semicolon_clauses_are_split() -> None:
    text = "Describe exponential backoff with jitter; list the errors worth retrying"
    assert split_request(text) == [
        "Describe exponential backoff with jitter",
        "List the errors worth retrying",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Pass the salt and pepper.",
        "Compare retries with backoff and leases",
        "Compare leases and heartbeats in detail",
        "Explain a; b",
    ],
)
def test_short_and_or_semicolon_sides_are_not_split(text: str) -> None:
    assert split_request(text) == [text]


def test_duplicates_are_dropped_case_insensitively() -> None:
    text = "What is a lease? what is a lease. WHAT IS A LEASE?\n- what is a lease"
    assert split_request(text) == ["What is a lease?"]


def test_more_than_the_cap_is_merged_into_the_last() -> None:
    text = "\n".join(f"- question number {i}" for i in range(1, 21))
    parts = split_request(text)
    assert len(parts) == MAX_SUBQUESTIONS
    assert parts[: MAX_SUBQUESTIONS - 1] == [f"question number {i}" for i in range(1, 12)]
    assert parts[-1] == " ".join(f"question number {i}" for i in range(12, 21))


def test_whitespace_is_trimmed_and_collapsed() -> None:
    assert split_request("  What   is\ta lease?   ") == ["What is a lease?"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_blank_request_gives_no_sub_questions(text: str) -> None:
    assert split_request(text) == []


@pytest.mark.parametrize("text", ["???", " --- ", "-", "…"])
def test_request_without_anything_useful_returns_itself_stripped(text: str) -> None:
    assert split_request(text) == [text.strip()]


def test_control_characters_are_removed() -> None:
    assert split_request("What is\x00 a\x07 lease?\x1b") == ["What is a lease?"]


def test_megabyte_request_is_split_quickly() -> None:
    text = "Why do tasks fail and retry again? " * 30_000
    assert split_request(text) == ["Why do tasks fail and retry again?"]


@given(st.text())
def test_split_never_raises_and_gives_stripped_non_empty_strings(text: str) -> None:
    parts = split_request(text)
    assert all(part and part == part.strip() for part in parts)
    assert len(parts) <= MAX_SUBQUESTIONS
    assert (parts == []) == (text.strip() == "")
    assert split_request(text) == parts


@given(st.lists(st.sampled_from(["lease", "and", "retry", ";", ".", "-", "\n", " ", "1."])))
def test_split_of_request_like_text_has_no_duplicates(words: list[str]) -> None:
    parts = split_request(" ".join(words))
    keys = [p.casefold().rstrip(" .!?;:,") for p in parts]
    assert len(keys) == len(set(keys))


def test_keywords_drop_stop_words_keep_order_and_are_unique() -> None:
    assert keywords(README_EXAMPLE) == [
        "task",
        "queues",
        "survive",
        "worker",
        "crashes",
        "retries",
        "backoff",
        "leases",
        "dead-letter",
        "queue",
        "hold",
    ]


def test_keywords_are_lowercase_and_skip_single_characters() -> None:
    assert keywords("A WAL x B-tree Don't 429 _") == ["wal", "b-tree", "429"]


@given(st.text())
def test_keywords_never_raise_and_are_unique(text: str) -> None:
    found = keywords(text)
    assert len(found) == len(set(found))
    assert all(term == term.lower() and len(term) > 1 for term in found)


@pytest.mark.parametrize(
    "text",
    [
        "What happens when both stdout and stderr are pipes?",
        "How are the reader and writer buffers of a stream flushed?",
    ],
)
def test_and_inside_one_noun_phrase_is_not_split(text: str) -> None:
    assert split_request(text) == [text]


def test_and_before_a_new_question_splits() -> None:
    assert split_request("How do retries work and what should a dead-letter queue hold?") == [
        "How do retries work", "What should a dead-letter queue hold?"]
