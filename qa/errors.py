"""Errors a user can cause and fix: the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


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


#: What to do about the operating-system errors a user can cause (by errno name).
_OS_HINTS = {
    "ENOSPC": "the disk is full: free some space and re-run",
    "EDQUOT": "the disk quota is used up: free some space and re-run",
    "EROFS": "the file system is read-only: choose a writable folder with --data-dir or REVIEWQA_DATA_DIR",
    "EACCES": "permission denied: make it writable or choose another folder with --data-dir or REVIEWQA_DATA_DIR",
    "EPERM": "permission denied: make it writable or choose another folder with --data-dir or REVIEWQA_DATA_DIR",
    "ENOTDIR": "part of that path is a file, not a folder: choose another path",
    "EISDIR": "that path is a folder, not a file: name a file",
    "ENOENT": "no such file or folder",
    "EEXIST": "something is already there: move it away or choose another path",
    "ENAMETOOLONG": "the path is too long: choose a shorter one",
    "EMFILE": "too many open files: close other programs or raise the limit (ulimit -n)",
}


def os_error_message(error: OSError, action: str = "use", path: object = None) -> str:
    """One line saying which path failed (`path` when the error names none), why, and what to do."""
    import errno

    name = errno.errorcode.get(error.errno or 0, "")
    path = error.filename if error.filename is not None else (path or "a file")
    reason = error.strerror or str(error) or type(error).__name__
    hint = _OS_HINTS.get(name, "check the path and re-run")
    return f"Cannot {action} {path}: {reason} ({hint})."


@contextmanager
def os_errors(action: str, path: object = None, error_type: type[ReviewQAError] = StoreError) -> Iterator[None]:
    """Turn an operating-system error inside the block into one clear `error_type` (a full disk, a read-only folder)."""
    try:
        yield
    except OSError as error:
        raise error_type(os_error_message(error, action, path)) from error
