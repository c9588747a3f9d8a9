"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations


class ReviewQAError(Exception):
    """Base class for every error caused by user input or environment (never a bug)."""


class DataError(ReviewQAError):
    """Input data is missing, unreadable or malformed."""


class StoreError(ReviewQAError):
    """The document store is missing, unreachable or in an unexpected state."""


class ModelError(ReviewQAError):
    """A model name or path cannot be loaded."""


class QueryError(ReviewQAError):
    """A question or filter is invalid (empty, too long, unknown product)."""


class NotFoundError(QueryError):
    """A named thing (a product id) is not in the index."""
