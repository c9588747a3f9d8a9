"""The model hub: whether a name is a hub id, and failing fast, in one line, when it cannot be reached.

Every component that may download a model by hub id (reader, encoders, generator, sentiment, NER,
summary, translation, RAG-Token, SAS) calls `require_hub_model` before loading, so an offline user
gets one clear error instead of the hub client's five retries and a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

from qa.errors import ModelError

#: Seconds to wait for the model hub before saying it cannot be reached (instead of five retries).
HUB_TIMEOUT = 3.0
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_hub_id(name: str) -> bool:
    """True for `org/name` that is not an existing local path."""
    return name.count("/") == 1 and not name.startswith(("/", ".", "~")) and not Path(name).expanduser().exists()


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
    process, so no library retries the hub five times first). Local folders and names that are not
    hub ids (packaged models, spaCy packages) pass untouched.

    :param name: the model's hub id, local folder or packaged name.
    :param what: what the model is, for the message ("reader", "summarization model", ...).
    :raises ModelError: the model is not cached and the hub is unreachable or offline mode is set.
    """
    if Path(name).expanduser().exists() or not HUB_ID.match(name):
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
