"""The options every `reviewqa` command shares, declared once in the root Typer callback.

`shared_options` is the callback of the main app: it receives the options that configure the
project (data dir, device, store, retriever, reader, encoder, SubjQA folder, quiet) and keeps them
on the Click context. `ReviewQAGroup` (qa/cli/errors.py) moves these options to the front wherever
they are typed, so `reviewqa ask "..." --item X --data-dir D` and `reviewqa --data-dir D ask ...`
mean the same. Each command then calls `settings_from(ctx, ...)` with its own overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
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
Reranker = Annotated[
    str | None,
    typer.Option(
        "--reranker",
        help="Cross-encoder that reorders the retrieved reviews: none (default), auto (trained by "
        "train-reranker), a folder or a hub id.",
    ),
]
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


@dataclass(frozen=True)
class SharedOptions:
    """The shared options as typed (None = not given: the environment or the default decides)."""

    data_dir: Path | None = None
    subjqa_dir: Path | None = None
    device: str | None = None
    store: str | None = None
    retriever: str | None = None
    reader: str | None = None
    embedding_model: str | None = None
    quiet: bool = False
    reranker: str | None = None


def shared_options(
    ctx: typer.Context,
    data_dir: DataDir = None,
    subjqa_dir: SubjqaDir = None,
    device: Device = None,
    store: StoreBackendOption = None,
    retriever: Retriever = None,
    reader: Reader = None,
    embedding_model: EmbeddingModel = None,
    quiet: Quiet = False,
    reranker: Reranker = None,
) -> None:
    """Question answering over customer reviews.

    The options above may be given before or after the command (`reviewqa ask ... --data-dir D`).
    """
    ctx.obj = SharedOptions(data_dir, subjqa_dir, device, store, retriever, reader, embedding_model, quiet, reranker)


SHARED_HELP = (
    "Shared options (--data-dir, --subjqa-dir, --device, --store, --retriever, --reranker, --reader, "
    "--embedding-model, --quiet) may follow the command too: see `reviewqa --help`."
)


def document_shared_options(app: typer.Typer) -> None:
    """Name the shared options at the foot of every command's help (they are declared on the root)."""
    for command in app.registered_commands:
        command.epilog = command.epilog or SHARED_HELP
    for group in app.registered_groups:
        if group.typer_instance is not None:
            document_shared_options(group.typer_instance)


def shared(ctx: typer.Context) -> SharedOptions:
    """The shared options of this invocation (defaults when a command runs without the root app)."""
    root = ctx.find_root().obj
    return root if isinstance(root, SharedOptions) else SharedOptions()


def settings_from(ctx: typer.Context, *, retriever_default: str | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, the shared options and the command's own `overrides` (None = not given).

    The shared options are checked here first, so that a bad flag is named as the flag (`--store`),
    not as the setting; `Settings` checks every value again, however it arrived.

    :param ctx: the command's Click context (the shared options are on its root).
    :param retriever_default: the retriever when neither the option nor REVIEWQA_RETRIEVER names one
        (`reviewqa embed` embeds for "embedding" by default).
    :param overrides: Settings fields by flat name (`top_k_retriever`, `api_port`) set by the command's options.
    """
    options = shared(ctx)
    retriever = options.retriever or retriever_default
    if options.device is not None and options.device not in ("auto", "cpu", "cuda"):
        raise ReviewQAError(f"--device must be auto, cpu or cuda, not {options.device!r}.")
    for flag, value, allowed in (
        ("--retriever", retriever, get_args(RetrieverKind)),
        ("--store", options.store, get_args(StoreBackend)),
    ):
        if value is not None and value not in allowed:
            raise ReviewQAError(f"{flag} must be one of {', '.join(allowed)}, not {value!r}.")
    return Settings.from_env(
        None,
        data_dir=options.data_dir,
        device=options.device,
        subjqa_dir=options.subjqa_dir,
        store_backend=options.store,
        retriever=retriever,
        reader_model=options.reader,
        embedding_model=options.embedding_model,
        reranker=options.reranker,
        **overrides,
    )


def comma_list(value: str) -> list[str]:
    """`"a, b,,c"` -> `["a", "b", "c"]`: the comma-separated lists of options such as `--domains`."""
    return [part.strip() for part in value.split(",") if part.strip()]


def make_api(settings: Settings) -> ReviewQA:
    """The Python API facade (heavy imports happen only when a command runs)."""
    from qa.api import ReviewQA

    return ReviewQA(settings)
