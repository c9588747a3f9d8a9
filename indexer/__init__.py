"""Turns outside review data into the project's types, Haystack Documents and gold labels."""

from __future__ import annotations

import qa  # noqa: F401  (sets the telemetry default before haystack is imported anywhere)
