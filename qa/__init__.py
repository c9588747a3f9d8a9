"""reviewqa: retrieval-augmented question answering over customer reviews.

Haystack telemetry is off unless the user opts in: the default is set here, before any module of
the project imports haystack.
"""

from __future__ import annotations

import os

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

__version__ = "0.1.0"
