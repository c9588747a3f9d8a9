"""What a browser session keeps between reruns (in `st.session_state`).

Defined in a module, not in app.py: Streamlit re-executes app.py on every rerun, which would make
a new class each time and objects stored by an earlier run would no longer be its instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.types import AskResult, RetrievedReview


@dataclass
class LastRun:
    """The last question asked in this browser session, with its outcome and the feedback given."""

    run_id: int
    mode: str
    question: str
    item_id: str | None
    result: AskResult | None = None
    reviews: list[RetrievedReview] | None = None
    error: str | None = None
    #: rank -> True (marked right) / False (marked wrong)
    feedback: dict[int, bool] = field(default_factory=dict)
    feedback_error: str | None = None
