"""The evidence helpers: strength, recurring terms and files, possible disagreements."""

from __future__ import annotations

from skills.offline.corpus import Passage
from skills.offline.evidence import (
    disagreements,
    evidence_strength,
    missing_terms,
    recurring_files,
    recurring_terms,
    stem,
)


def passage(path: str, text: str, line: int = 1, score: float = 1.0) -> Passage:
    return Passage(path=path, start_line=line, end_line=line, text=text, score=score)


def test_no_passages_is_no_evidence() -> None:
    assert evidence_strength([]) == "none"
    assert evidence_strength([], ["lease"]) == "none"


def test_passages_covering_the_question_are_strong_even_from_one_file() -> None:
    found = [passage("a.md", "Leases expire.", 1), passage("a.md", "Leases renew.", 5)]
    assert evidence_strength(found) == "strong"
    assert evidence_strength(found, ["lease"]) == "strong"


def test_files_agreeing_on_one_term_of_many_are_weak() -> None:
    found = [passage("README.md", "Leases expire."), passage("index.md", "Leases expire.")]
    assert evidence_strength(found, ["lease", "heartbeat", "deadline", "renewal"]) == "weak"
    assert missing_terms(found, ["lease", "heartbeat"]) == ["heartbeat"]


def test_a_term_in_the_path_or_symbol_is_covered() -> None:
    found = [Passage(path="asyncio/streams.py", start_line=1, end_line=2, score=1.0,
                     text="    self._transport.pause_reading()", symbol="StreamReader.feed_data")]
    assert evidence_strength(found, ["streams", "pause_reading", "feed"]) == "strong"


def test_python_keywords_are_not_key_terms() -> None:
    texts = ["def f():\n    return None", "def g():\n    return None"]
    assert recurring_terms(texts) == []


def test_passages_matching_too_few_terms_do_not_support() -> None:
    terms = ["task", "queues", "survive", "worker", "crashes"]
    off_topic = [
        passage("a.md", "Bake the bread for one task."),
        passage("b.md", "A queue of people."),
    ]
    assert evidence_strength(off_topic, terms) == "weak"
    on_topic = [
        passage("a.md", "A queue survives a crashed worker because the task is leased."),
        passage("b.md", "When workers crash, their tasks return to the queue."),
    ]
    assert evidence_strength(on_topic, terms) == "strong"


def test_hyphenated_term_matches_its_parts() -> None:
    found = [passage("a.md", "A dead letter queue."), passage("b.md", "The dead-letter table.")]
    assert evidence_strength(found, ["dead-letter"]) == "strong"


def test_stem_matches_common_word_forms() -> None:
    assert stem("retries") == stem("retry") == stem("retried") == stem("retrying")
    assert stem("leases") == stem("lease") == stem("leased")
    assert stem("queues") == stem("queue")
    assert stem("crashes") == stem("crash")
    assert stem("access") == "access"
    assert stem("WAL") == "wal"


def test_recurring_terms_count_the_texts_they_appear_in() -> None:
    texts = [
        "Retries use backoff. Retry again and again.",
        "A retry with backoff and jitter.",
        "Leases and heartbeats.",
        "Heartbeats renew leases; leases expire.",
    ]
    assert recurring_terms(texts) == [
        ("leases", 2),
        ("retry", 2),
        ("backoff", 2),
        ("heartbeats", 2),
    ]


def test_recurring_terms_skip_stop_words_numbers_and_single_texts() -> None:
    assert recurring_terms(["the 2024 lease", "the 2024 lease"]) == [("lease", 2)]
    assert recurring_terms(["lease lease lease"]) == []


def test_recurring_terms_respect_top() -> None:
    texts = ["alpha beta gamma", "alpha beta gamma"]
    assert recurring_terms(texts, top=2) == [("alpha", 2), ("beta", 2)]
    assert recurring_terms(texts, top=0) == []


def test_recurring_files_most_cited_first_then_by_path() -> None:
    found = [
        passage("b.md", "x", 1),
        passage("a.md", "x", 1),
        passage("b.md", "x", 9),
        passage("a.md", "x", 4),
        passage("c.md", "x", 1),
        passage("b.md", "x", 1),
    ]
    assert recurring_files(found) == [("b.md", 3), ("a.md", 2)]
    assert recurring_files(found, min_count=1) == [("b.md", 3), ("a.md", 2), ("c.md", 1)]


CAP = passage(
    "retries.md", "Never retry a task without a cap on attempts, not even for transient errors."
)
UNLIMITED = passage(
    "notes.md",
    "For transient errors, retries should be unlimited: retry the task without a cap on "
    "attempts until the dependency recovers.",
)


def test_negated_and_plain_statements_on_the_same_subject_disagree() -> None:
    assert disagreements([UNLIMITED, CAP]) == [(CAP, UNLIMITED)]


def test_negating_passage_comes_first_whatever_the_input_order() -> None:
    assert disagreements([CAP, UNLIMITED]) == disagreements([UNLIMITED, CAP])


def test_passages_of_one_file_never_disagree() -> None:
    same_file = passage("retries.md", UNLIMITED.text, line=9)
    assert disagreements([CAP, same_file]) == []


def test_statements_that_both_negate_or_both_affirm_do_not_disagree() -> None:
    both_negate = passage("notes.md", "Do not retry a task without a cap on attempts.")
    assert disagreements([CAP, both_negate]) == []
    plain = passage("retries.md", "Retry a task with a cap on attempts for transient errors.")
    assert disagreements([plain, UNLIMITED]) == []


def test_negation_about_another_subject_is_not_a_disagreement() -> None:
    other = passage("wal.md", "Readers do not block writers in WAL mode.")
    assert disagreements([other, UNLIMITED]) == []


def test_duplicate_citations_are_reported_once() -> None:
    assert disagreements([CAP, UNLIMITED, CAP, UNLIMITED]) == [(CAP, UNLIMITED)]


def test_contractions_and_never_count_as_negation() -> None:
    plain = passage("a.md", "Workers should renew the lease every few seconds.")
    contracted = passage("b.md", "Workers shouldn't renew the lease every few seconds.")
    assert disagreements([plain, contracted]) == [(contracted, plain)]


def test_python_none_in_code_is_not_a_negation() -> None:
    code = passage("queue.py", "def get(self):\n    if self.result is None:\n"
                               "        retry the task without a cap on attempts")
    prose = passage("notes.md", "Retry the task with a cap on attempts: `if x is None` "
                                "means retry the task without a cap on attempts.")
    assert disagreements([code, UNLIMITED]) == []
    assert disagreements([prose, UNLIMITED]) == []
