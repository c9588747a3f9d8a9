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


def supports_fast_bf16(device: str) -> bool:
    """Does `device` run bfloat16 matrix maths natively (so bf16 autocast speeds training up)?

    CUDA: torch's public `torch.cuda.is_bf16_supported()` (Ampere and newer). CPU: AVX512-BF16 or AMX
    tiles. torch exposes those only as `torch.cpu._is_avx512_bf16_supported` / `_is_amx_tile_supported`
    (no public CPU check exists; `torch.backends.cpu.get_cpu_capability()` reports "AVX512" either
    way), so they are looked up defensively and a torch without them means "no".
    """
    import torch

    if device.startswith("cuda"):
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(bool(check()) for check in checks if callable(check))
