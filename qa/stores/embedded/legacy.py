"""Reading the store format before SQLite (version 1: one `documents.rqa` npz file), to migrate it."""

from __future__ import annotations

import json
from pathlib import Path

from haystack import Document

from qa.errors import StoreError

LEGACY_FILE = "documents.rqa"
LEGACY_VERSION = 1


def find(directory: Path) -> Path | None:
    """The version-1 store file in `directory`, if there is one."""
    path = directory / LEGACY_FILE
    return path if path.is_file() else None


def read(path: Path) -> list[Document]:
    """The documents (with embeddings) of a version-1 store file, in their stored order."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(bytes(archive["header"]).decode("utf-8"))
            documents = json.loads(bytes(archive["documents"]).decode("utf-8"))
            embeddings = archive["embeddings"]
            embedded_rows = archive["embedded_rows"]
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as error:
        raise StoreError(
            f"Cannot migrate the old index {path} ({error}): move it away and re-run `reviewqa index`."
        ) from error
    if header.get("format_version") != LEGACY_VERSION:
        raise StoreError(
            f"The old index {path} has format version {header.get('format_version')}, not {LEGACY_VERSION}: "
            "move it away and re-run `reviewqa index`."
        )
    for row, vector in zip(embedded_rows.tolist(), embeddings, strict=True):
        documents[row]["embedding"] = vector.tolist()
    return [Document.from_dict(d) for d in documents]
