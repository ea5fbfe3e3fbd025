"""Offline thinking: split a request, search a local corpus, weigh the evidence.

Pure library functions with no network, no model and no project database; the built-in
skills (``plan``, ``research``, ``analyze``, ``design``, ``critique``, ``synthesize``)
call them.
"""

from .corpus import CorpusError, CorpusIndex, IndexStats, Passage, fts_query
from .evidence import disagreements, evidence_strength, recurring_files, recurring_terms
from .subquestions import keywords, split_request

__all__ = [
    "CorpusError",
    "CorpusIndex",
    "IndexStats",
    "Passage",
    "disagreements",
    "evidence_strength",
    "fts_query",
    "keywords",
    "recurring_files",
    "recurring_terms",
    "split_request",
]
