"""Atomic replacement: a file (write a temporary file beside it, fsync, rename over it) or a folder (two renames)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace `path` with `data` so that a crash never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_dir(source: Path, target: Path) -> None:
    """Move folder `source` (on the same file system) to `target`, replacing what is there by renames.

    The old `target` is moved aside, never deleted, until the new one is in place, so a crash at any
    point leaves a complete folder at `target` or beside it (`.<name>-old-*`).
    """
    retired = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-old-")) if target.exists() else None
    if retired is not None:
        target.rename(retired)  # onto the empty folder mkdtemp made: a unique name, atomically
    source.rename(target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
