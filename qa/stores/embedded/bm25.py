"""BM25Okapi over stored term statistics: the same numbers as Haystack's InMemoryDocumentStore.

Haystack's in-memory store recomputes the IDF of its whole vocabulary for every query and checks
its filter on every document; both are O(store). Here the statistics live in the store (document
frequency per term, each document's term ids and counts) and a query scores only the candidate
documents its filter selected, in O(candidates). The formula, the tokenizer and the tie order are
Haystack's, so top-k lists are identical (`tests/stores/test_bm25_parity.py` compares them).
"""

from __future__ import annotations

import inspect
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from haystack.document_stores.in_memory import InMemoryDocumentStore

#: Haystack's default BM25 tokenization pattern, read from its signature so an upgrade carries over.
TOKEN_PATTERN: str = inspect.signature(InMemoryDocumentStore.__init__).parameters["bm25_tokenization_regex"].default
_find_tokens = re.compile(TOKEN_PATTERN).findall

#: Haystack's BM25Okapi parameters (InMemoryDocumentStore's defaults).
K1, B, EPSILON = 1.5, 0.75, 0.25
#: Haystack's scaling of raw BM25 scores into (0, 1) when `scale_score=True`.
SCALING_FACTOR = 8


def tokenize(text: str) -> list[str]:
    """Haystack's BM25 tokens: NFC-normalised, lowercased text split by `TOKEN_PATTERN`."""
    return _find_tokens(unicodedata.normalize("NFC", text.lower()))


@dataclass(frozen=True)
class TermCounts:
    """One document's BM25 statistics: its distinct tokens with their counts, and its length."""

    terms: tuple[str, ...]
    counts: tuple[int, ...]
    length: int

    @classmethod
    def of(cls, text: str) -> TermCounts:
        """The statistics of `text`."""
        tokens = tokenize(text)
        counter = Counter(tokens)
        return cls(terms=tuple(counter), counts=tuple(counter.values()), length=len(tokens))


@dataclass(frozen=True)
class CorpusStats:
    """Store-wide BM25 statistics: documents with content, their total length, IDF inputs."""

    documents: int
    total_length: int
    #: sum of the raw Okapi IDF over the vocabulary and the vocabulary's size (for epsilon)
    idf_sum: float
    vocabulary: int

    @property
    def average_length(self) -> float:
        """Average document length in tokens (0 for an empty corpus)."""
        return self.total_length / self.documents if self.documents else 0.0

    @staticmethod
    def raw_idf(documents: int, frequencies: np.ndarray) -> np.ndarray:
        """Okapi IDF log((N - df + 0.5) / (df + 0.5)), possibly negative."""
        return np.log((documents - frequencies + 0.5) / (frequencies + 0.5))

    @classmethod
    def of(cls, documents: int, total_length: int, frequencies: np.ndarray) -> CorpusStats:
        """Statistics from the document frequency of every term in the vocabulary (df > 0)."""
        idf = cls.raw_idf(documents, frequencies.astype(np.float64))
        return cls(documents, total_length, float(math.fsum(idf.tolist())), int(frequencies.size))

    def idf(self, frequency: int | None) -> float:
        """Haystack's Okapi IDF of one query term: 0 when unseen, epsilon x mean IDF when negative."""
        if not frequency:
            return 0.0
        value = math.log((self.documents - frequency + 0.5) / (frequency + 0.5))
        if value < 0:
            return EPSILON * self.idf_sum / self.vocabulary
        return value


def query_terms(query: str) -> list[str]:
    """The distinct query tokens in first-seen order (Haystack scores each distinct token once)."""
    return list(dict.fromkeys(tokenize(query)))


def okapi_scores(
    stats: CorpusStats,
    query_idf: Sequence[float],
    frequencies: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """BM25Okapi scores of candidate documents.

    :param stats: the store-wide statistics (for the average document length).
    :param query_idf: the IDF of each distinct query term, in query order.
    :param frequencies: shape (documents, query terms): each term's count in each candidate.
    :param lengths: shape (documents,): each candidate's length in tokens.
    :returns: shape (documents,): the scores, summed term by term in query order as Haystack does.
    """
    scores = np.zeros(len(lengths), dtype=np.float64)
    if stats.average_length == 0:
        return scores
    norm = K1 * (1 - B + B * lengths.astype(np.float64) / stats.average_length)
    for column, idf in enumerate(query_idf):
        freq = frequencies[:, column].astype(np.float64)
        scores += idf * (freq * (1.0 + K1) / (freq + norm))
    return scores


def rank(scores: np.ndarray, top_k: int) -> list[int]:
    """Positions of the `top_k` best scores; ties keep candidate order (Python's stable sort)."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    return order[:top_k].tolist()
