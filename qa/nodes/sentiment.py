"""Sentiment of reviews or answers: VADER offline (lexicon and rules), a transformers classifier online.

Each document gets `meta["sentiment"] = {"label", "score", "polarity"}`: label positive, negative or
neutral; score = confidence in that label (0..1); polarity from -1 (negative) to +1 (positive).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.utils import ComponentDevice

from qa.errors import ModelError
from qa.nodes.types import Sentiment

VADER = "vader"
#: VADER's own recommended thresholds on the compound score.
VADER_THRESHOLD = 0.05
META_KEY = "sentiment"


def vader_sentiment(scores: dict[str, float]) -> Sentiment:
    """Label and confidence from VADER's `polarity_scores` (compound >= 0.05 positive, <= -0.05 negative)."""
    compound = float(scores["compound"])
    if compound >= VADER_THRESHOLD:
        return Sentiment("positive", compound, compound)
    if compound <= -VADER_THRESHOLD:
        return Sentiment("negative", -compound, compound)
    return Sentiment("neutral", 1.0 - abs(compound) / VADER_THRESHOLD * 0.5, compound)


def _label_kind(label: str) -> str:
    """Map a classifier's label (POSITIVE, LABEL_1, '4 stars', ...) to positive/negative/neutral."""
    name = label.lower()
    stars = re.match(r"(\d)\s*star", name)
    if stars:
        n = int(stars.group(1))
        return "positive" if n >= 4 else "negative" if n <= 2 else "neutral"
    if name.startswith("pos") or name in ("label_2",):
        return "positive"
    if name.startswith("neg") or name in ("label_0",):
        return "negative"
    return "neutral"


def classifier_sentiment(scores: list[dict[str, Any]]) -> Sentiment:
    """Label and confidence from a text-classification pipeline's scores for all labels."""
    totals = {"positive": 0.0, "negative": 0.0, "neutral": 0.0}
    labels = {s["label"].lower() for s in scores}
    binary = labels == {"label_0", "label_1"}
    for s in scores:
        kind = ("positive" if s["label"].lower() == "label_1" else "negative") if binary else _label_kind(s["label"])
        totals[kind] += float(s["score"])
    label = max(totals, key=lambda k: totals[k])
    return Sentiment(label, totals[label], totals["positive"] - totals["negative"])  # type: ignore[arg-type]


@component
class SentimentClassifier:
    """Annotate each document with its sentiment (`meta["sentiment"]`).

    :param model: "vader" (default: VADER's lexicon and rules, offline; positive at a compound score
        >= 0.05, negative at <= -0.05, else neutral) or a transformers text-classification model (hub
        id or local folder) whose labels name the sentiment: POSITIVE/NEGATIVE (any label starting
        "pos"/"neg"), LABEL_0/LABEL_1 (binary: negative/positive), LABEL_0/LABEL_1/LABEL_2
        (negative/neutral/positive) or "1 star".."5 stars" (4-5 positive, 1-2 negative); any other
        label counts as neutral.
    :param device: the device a transformers model runs on (default None: Haystack's default device,
        a GPU when one is available, else the CPU); VADER ignores it.
    :param batch_size: texts per forward pass of a transformers model (default 16); VADER ignores it.
    """

    def __init__(self, model: str = VADER, device: ComponentDevice | None = None, batch_size: int = 16) -> None:
        self.model = model
        self.device = ComponentDevice.resolve_device(device)
        self.batch_size = batch_size
        self._analyzer: Any = None

    def warm_up(self) -> None:
        """Load VADER's lexicon or the transformers classifier (once)."""
        if self._analyzer is not None:
            return
        if self.model == VADER:
            try:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
            except ImportError as error:
                raise ModelError("VADER is not installed: `pip install vaderSentiment`.") from error
            self._analyzer = SentimentIntensityAnalyzer()
            return
        from transformers import pipeline

        from qa.hub import require_hub_model

        require_hub_model(self.model, "sentiment model")
        try:
            self._analyzer = pipeline(
                "text-classification", model=self.model, device=self.device.to_torch(), top_k=None
            )
        except (OSError, ValueError) as error:
            raise ModelError(f"Cannot load the sentiment model {self.model!r}: {error}") from error

    def classify(self, texts: list[str]) -> list[Sentiment]:
        """The sentiment of each text."""
        self.warm_up()
        if self.model == VADER:
            return [vader_sentiment(self._analyzer.polarity_scores(t)) for t in texts]
        outputs = self._analyzer(texts, batch_size=self.batch_size, truncation=True)
        return [classifier_sentiment(o) for o in outputs]

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Classify each document's text.

        :param documents: the reviews (or any texts) to classify; a document without content is
            classified as the empty text.
        :returns: A dictionary with the following key:
            - `documents`: copies of the input documents, in the same order, each with
              `meta["sentiment"]` = {"label": "positive" | "negative" | "neutral", "score": confidence
              in that label (0..1), "polarity": -1 (negative) .. +1 (positive)}.
        """
        sentiments = self.classify([d.content or "" for d in documents])
        return {
            "documents": [
                replace(d, meta={**d.meta, META_KEY: {"label": s.label, "score": s.score, "polarity": s.polarity}})
                for d, s in zip(documents, sentiments, strict=True)
            ]
        }

    def to_dict(self) -> dict[str, Any]:
        """Serialise."""
        return default_to_dict(self, model=self.model, device=self.device.to_dict(), batch_size=self.batch_size)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentimentClassifier:
        """Deserialise (`default_from_dict` restores the ComponentDevice)."""
        return default_from_dict(cls, data)


def stored_sentiment(document: Document) -> Sentiment | None:
    """The sentiment `SentimentClassifier` stored in a document's meta, if any."""
    value = document.meta.get(META_KEY)
    if not value:
        return None
    return Sentiment(value["label"], float(value["score"]), float(value["polarity"]))
