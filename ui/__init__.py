"""The reviewqa web UI (Streamlit). Start it with `reviewqa ui`; the script is `ui/app.py`.

The UI only talks to the `qa` facade (`qa.api.ReviewQA` and the project's types), never to
Haystack directly, and reads evaluation results from `eval/results/`.
"""

from __future__ import annotations

import qa  # noqa: F401  (sets the telemetry default before haystack is imported anywhere)
