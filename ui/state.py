"""What a browser session keeps between reruns (in `st.session_state`).

Defined in a module, not in app.py: Streamlit re-executes app.py on every rerun, which would make
a new class each time and objects stored by an earlier run would no longer be its instances.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.types import AskResult, Consensus, RetrievedReview


@dataclass(frozen=True)
class AskContext:
    """Everything that decides an answer besides the question: when it changes, a shown answer is stale."""

    item_id: str | None
    mode: str
    retriever: str
    top_k_retriever: int
    top_k_reader: int
    consensus_reviews: int | None


@dataclass
class LastRun:
    """The last question asked in this browser session, with its outcome and the feedback given."""

    run_id: int
    mode: str
    question: str
    item_id: str | None
    context: AskContext | None = None
    result: AskResult | None = None
    reviews: list[RetrievedReview] | None = None
    consensus: Consensus | None = None
    consensus_error: str | None = None
    error: str | None = None
    #: rank -> True (marked right) / False (marked wrong)
    feedback: dict[int, bool] = field(default_factory=dict)
    feedback_error: str | None = None


@dataclass
class TaskRun:
    """The last product-panel task run in this session (shown while its product stays chosen)."""

    item_id: str
    name: str
    output: object | None = None
    error: str | None = None
