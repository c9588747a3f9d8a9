"""Evaluation harness: metrics, runs and reports."""

from __future__ import annotations

import qa  # noqa: F401  (sets the telemetry default before haystack is imported: `python -m eval.*` starts here)
