"""Device selection: CUDA when present (unless the user forces CPU), CPU otherwise."""

from __future__ import annotations

from qa.config import DevicePreference
from qa.errors import ReviewQAError


def resolve_device(preference: DevicePreference = "auto") -> str:
    """Return the torch device string ("cuda" or "cpu") for a user preference."""
    import torch

    if preference == "cpu":
        return "cpu"
    if preference == "cuda":
        if not torch.cuda.is_available():
            raise ReviewQAError("--device cuda was asked for, but no CUDA device is available.")
        return "cuda"
    return "cuda" if torch.cuda.is_available() else "cpu"
