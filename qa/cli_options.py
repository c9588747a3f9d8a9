"""Options and helpers shared by the command-line modules (qa/cli.py, eval/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer

from qa.config import RetrieverKind, Settings, StoreBackend
from qa.errors import ReviewQAError

if TYPE_CHECKING:
    from qa.api import ReviewQA

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the index, labels and models live.")]
SubjqaDir = Annotated[
    Path | None,
    typer.Option("--subjqa-dir", help="SubjQA in its CSV layout <dir>/<domain>/<split>.csv (or SUBJQA_DIR)."),
]
Domains = Annotated[list[str] | None, typer.Option("--domain", "-d", help="SubjQA domain (repeatable).")]
Device = Annotated[str | None, typer.Option("--device", help="auto (CUDA when present), cpu or cuda.")]
Reader = Annotated[str | None, typer.Option("--reader", help="Reader: a local folder or a hub id (default: auto).")]
NoAnswerPrior = Annotated[
    str,
    typer.Option(
        "--no-answer-prior",
        help="No-answer share to tune the threshold for: train (the train splits' share), held-out, or a number.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Retriever = Annotated[str | None, typer.Option("--retriever", help="bm25 (default), embedding, dpr or hybrid.")]
StoreBackendOption = Annotated[
    str | None, typer.Option("--store", help="Document store: embedded (default), faiss or elasticsearch (ES_URL).")
]
EmbeddingModel = Annotated[
    str | None,
    typer.Option(
        "--embedding-model",
        help="Encoder of the embedding retriever: hub id, folder, packaged:all-MiniLM-L6-v2 (default) "
        "or packaged:all-mpnet-base-v2.",
    ),
]


def make_settings(data_dir: Path | None = None, device: str | None = None, **overrides: Any) -> Settings:
    """Settings from the environment with the command line's overrides (None = not given)."""
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise ReviewQAError(f"--device must be auto, cpu or cuda, not {device!r}.")
    choices = {"retriever": get_args(RetrieverKind), "store_backend": get_args(StoreBackend)}
    for name, allowed in choices.items():
        value = overrides.get(name)
        if value is not None and value not in allowed:
            option = "--store" if name == "store_backend" else f"--{name}"
            raise ReviewQAError(f"{option} must be one of {', '.join(allowed)}, not {value!r}.")
    return Settings.from_env(None, data_dir=data_dir, device=device, **overrides)


def make_api(settings: Settings) -> ReviewQA:
    """The Python API facade (heavy imports happen only when a command runs)."""
    from qa.api import ReviewQA

    return ReviewQA(settings)
