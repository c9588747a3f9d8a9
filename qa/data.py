"""Where SubjQA comes from: a directory the user names, a cached copy, or the public sources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from indexer.sources.subjqa import DOMAINS, SPLITS, download_subjqa, split_path
from qa.config import Settings
from qa.errors import DataError


def resolve_subjqa_dir(settings: Settings, domains: Sequence[str]) -> Path:
    """`--subjqa-dir`/`SUBJQA_DIR` if given (it must exist), else `<data_dir>/subjqa`, downloaded when missing."""
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:  # before any download: "unknown domain", not "could not download"
        raise DataError(f"Unknown SubjQA domain {unknown[0]!r}; choose from {', '.join(DOMAINS)}.")
    if settings.subjqa_dir is not None:
        if not settings.subjqa_dir.is_dir():
            raise DataError(f"SubjQA directory not found: {settings.subjqa_dir}")
        return settings.subjqa_dir
    cached = settings.data_dir / "subjqa"
    if all(split_path(cached, d, s).is_file() for d in domains for s in SPLITS):
        return cached
    return download_subjqa(cached, domains)
