"""The answer decision: answer with the best span, or say the reviews don't mention it, and how sure.

One pure function, `decide`, used by the reader at inference and by every caller through it (CLI,
API, UI, eval, quickstart), like the post-processing function of transformers' `utils_qa.py`:
given the reader's and the retriever's signals for one question (`DecisionSignals`) and fitted
parameters (`AnswerDecision`), it returns a `Verdict` (answer or not, a probability, words).

The probability is a logistic model over the signals:

    p = sigmoid(intercept + sum(coef_i * (x_i - mean_i) / scale_i))

and the reader answers when `p >= threshold`. `fit_decision` fits it on held-out (dev) pipeline
outputs, cost-sensitively: each question is labelled "answering beats abstaining" (its best span's
SQuAD F1 exceeds the F1 of saying nothing) and weighted by how much the two F1s differ, so that
`p >= 0.5` maximises expected F1. The legacy single CLS-logit threshold is the special case
`AnswerDecision.from_boost(boost)`: answer iff span logit - null logit > boost.

The words come from `bands`: the first band whose `min_probability` the probability reaches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

#: The signals the model reads, in vector order (see `DecisionSignals.vector`).
FEATURE_NAMES: tuple[str, ...] = (
    "gap",
    "span_logit",
    "null_logit",
    "span_words",
    "rank",
    "retrieval_ratio",
    "reviews",
    "retrieval_score",
    "answerability",
    "span_similarity",
    "sentence_similarity",
    "review_similarity",
)

#: The sentence encoder's signals (`qa.readers.similarity_signals`), read only when every question has them.
SIMILARITY_FEATURES: tuple[str, ...] = ("span_similarity", "sentence_similarity", "review_similarity")

#: The signals a decision over the first stage alone reads: a raw BM25 score depends on the domain and
#: the question's length, so it is left out; a reranker's score is a probability and is kept.
FIRST_STAGE_FEATURES: tuple[str, ...] = tuple(name for name in FEATURE_NAMES if name != "retrieval_score")


@dataclass(frozen=True)
class DecisionSignals:
    """What is known about one question when the reader has read the retrieved reviews.

    :param span_logit: start+end logit of the best span (None when no span was found).
    :param null_logit: the smallest CLS (no-answer) start+end logit over all windows read.
    :param span_words: words in the best span (0 without a span).
    :param rank: 0-based retrieval rank of the review the best span comes from.
    :param retrieval_ratio: that review's retrieval score over the top review's (1.0 when unknown).
    :param reviews: how many reviews the reader read.
    :param retrieval_score: that review's own retrieval score: BM25's, or with a reranker the
        cross-encoder's probability that the review answers the question (0.0 when unknown). Only
        decisions fitted behind a reranker read it (`FIRST_STAGE_FEATURES` leaves it out).
    :param answerability: the answerability head's largest logit over the windows read (None when
        the reader has no head, `qa.readers.answerability`); only decisions fitted with it read it.
    :param span_similarity: cosine of the question with the best span, by a sentence encoder
        (`qa.readers.similarity_signals`; None when the reader runs without one).
    :param sentence_similarity: cosine of the question with the sentence holding the best span (None: no encoder).
    :param review_similarity: cosine of the question with the best span's review (None: no encoder).
    """

    span_logit: float | None
    null_logit: float
    span_words: int = 0
    rank: int = 0
    retrieval_ratio: float = 1.0
    reviews: int = 1
    retrieval_score: float = 0.0
    answerability: float | None = None
    span_similarity: float | None = None
    sentence_similarity: float | None = None
    review_similarity: float | None = None

    @property
    def gap(self) -> float:
        """Best span logit minus the no-answer logit (-inf without a span)."""
        return -math.inf if self.span_logit is None else self.span_logit - self.null_logit

    def vector(self) -> tuple[float, ...]:
        """The signals as numbers, in `FEATURE_NAMES` order (a missing span counts as a -30 logit, a
        missing similarity as 0)."""
        span = -30.0 if self.span_logit is None else self.span_logit
        return (
            span - self.null_logit,
            span,
            self.null_logit,
            float(self.span_words),
            float(self.rank),
            self.retrieval_ratio,
            float(self.reviews),
            self.retrieval_score,
            0.0 if self.answerability is None else self.answerability,
            *(0.0 if value is None else value for value in self.similarities()),
        )

    def similarities(self) -> tuple[float | None, float | None, float | None]:
        """The sentence encoder's three cosines, in `SIMILARITY_FEATURES` order."""
        return self.span_similarity, self.sentence_similarity, self.review_similarity

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for answer metadata and result files)."""
        return asdict(self)


def decision_features(signals: Sequence[DecisionSignals], reranked: bool) -> tuple[str, ...]:
    """The signals a decision is fitted on: the reranker's score only behind a reranker, the
    answerability head's logit only when the reader has the head, the sentence encoder's cosines only
    when the reader ran one (every question carries them).

    :param signals: the held-out questions' signals.
    :param reranked: are the reviews reranked (a cross-encoder's probability as retrieval score)?
    """
    features = FEATURE_NAMES if reranked else FIRST_STAGE_FEATURES
    if any(s.answerability is None for s in signals):
        features = tuple(name for name in features if name != "answerability")
    if any(value is None for s in signals for value in s.similarities()):
        features = tuple(name for name in features if name not in SIMILARITY_FEATURES)
    return features


def reads_similarity(decision: AnswerDecision | None) -> bool:
    """Does `decision` read the sentence encoder's cosines (so the reader must compute them)?"""
    return decision is not None and any(name in SIMILARITY_FEATURES for name in decision.features)


@dataclass(frozen=True)
class ConfidenceBand:
    """Words shown to a shopper for probabilities from `min_probability` up."""

    min_probability: float
    words: str


#: Used until bands are fitted: the answer threshold splits "possibly" from "not mentioned".
DEFAULT_BANDS: tuple[ConfidenceBand, ...] = (
    ConfidenceBand(0.75, "likely"),
    ConfidenceBand(0.5, "possibly"),
    ConfidenceBand(0.0, "not mentioned"),
)


@dataclass(frozen=True)
class AnswerDecision:
    """Parameters of the decision (saved in `reviewqa_reader.json` beside a trained reader).

    :param coefficients: one weight per name in `features`, applied to standardised values.
    :param intercept: the logistic model's intercept.
    :param features: the signals the weights belong to (a subset of `FEATURE_NAMES`).
    :param mean: per-feature mean used to standardise (0 = none).
    :param scale: per-feature scale used to standardise (1 = none).
    :param threshold: answer when the probability reaches it.
    :param bands: confidence words, highest `min_probability` first, the last starting at 0.
    :param fitted_on: where the parameters come from (for reports), e.g. "electronics+grocery/dev".
    :param similarity_model: the sentence encoder whose cosines the decision was fitted on, as configured
        then (e.g. "packaged:all-MiniLM-L6-v2"); the reader computes its cosines with this one, since
        another encoder's cosines have other scales. None: the decision reads no cosines, or was fitted
        before the encoder was recorded (then the configured encoder is used).
    """

    coefficients: tuple[float, ...]
    intercept: float
    features: tuple[str, ...] = ("gap",)
    mean: tuple[float, ...] = (0.0,)
    scale: tuple[float, ...] = (1.0,)
    threshold: float = 0.5
    bands: tuple[ConfidenceBand, ...] = DEFAULT_BANDS
    fitted_on: str = ""
    similarity_model: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = {len(self.coefficients), len(self.features), len(self.mean), len(self.scale)}
        if len(sizes) != 1:
            raise ValueError("An answer decision needs one coefficient, mean and scale per feature.")
        unknown = set(self.features) - set(FEATURE_NAMES)
        if unknown:
            raise ValueError(f"Unknown decision features: {', '.join(sorted(unknown))}.")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"The answer threshold must lie strictly between 0 and 1, not {self.threshold}.")
        if not self.bands or self.bands[-1].min_probability > 0.0:
            raise ValueError("The last confidence band must start at probability 0.")

    @classmethod
    def from_boost(cls, boost: float) -> AnswerDecision:
        """The single CLS-logit threshold: answer iff span logit - null logit > `boost`."""
        return cls(coefficients=(1.0,), intercept=-float(boost), fitted_on="no-answer boost")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerDecision:
        """Parameters as written by `to_dict`."""
        values = dict(data)
        bands = values.get("bands", [asdict(b) for b in DEFAULT_BANDS])
        values["bands"] = tuple(ConfidenceBand(**band) for band in bands)
        for key in ("coefficients", "features", "mean", "scale"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Verdict:
    """The decision for one question.

    :param answer: True to show the best span, False to say the reviews don't mention it.
    :param probability: the model's probability that answering beats abstaining.
    :param words: the confidence in words, from the decision's bands.
    """

    answer: bool
    probability: float
    words: str


def probability(signals: DecisionSignals, decision: AnswerDecision) -> float:
    """The decision model's probability that showing the best span beats abstaining."""
    if signals.span_logit is None:
        return 0.0
    values = dict(zip(FEATURE_NAMES, signals.vector(), strict=True))
    z = decision.intercept + sum(
        c * (values[name] - m) / (s or 1.0)
        for c, name, m, s in zip(decision.coefficients, decision.features, decision.mean, decision.scale, strict=True)
    )
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def words_for(p: float, decision: AnswerDecision) -> str:
    """The confidence words for probability `p`."""
    return next(band.words for band in decision.bands if p >= band.min_probability)


def decide(signals: DecisionSignals, decision: AnswerDecision) -> Verdict:
    """Answer or abstain for one question, with a probability and words (pure; no model, no I/O)."""
    p = probability(signals, decision)
    answer = p >= decision.threshold
    words = words_for(p, decision) if answer else decision.bands[-1].words
    return Verdict(answer=answer, probability=p, words=words)


def expected_calibration_error(
    probabilities: Sequence[float], outcomes: Sequence[float], weights: Sequence[float], bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """Weighted ECE over `bins` equal-width bins, and the reliability table (one row per non-empty bin)."""
    total = sum(weights) or 1.0
    table: list[dict[str, float]] = []
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            (p, y, w)
            for p, y, w in zip(probabilities, outcomes, weights, strict=True)
            if low <= p < high or (b == bins - 1 and p == 1.0)
        ]
        weight = sum(w for _, _, w in members)
        if weight == 0:
            continue
        mean_p = sum(p * w for p, _, w in members) / weight
        observed = sum(y * w for _, y, w in members) / weight
        ece += weight / total * abs(mean_p - observed)
        table.append(
            {"low": low, "high": high, "count": len(members), "mean_probability": mean_p, "observed": observed}
        )
    return ece, table


def prior_weights(is_no_answer: Sequence[bool], share: float | None) -> list[float]:
    """Per-question weights giving no-answer questions `share` of the total weight (1.0 each if None).

    A class-prior correction: a held-out split whose no-answer share differs from the domain's
    (estimated on the larger train split) is re-weighted to that share before fitting or tuning.
    """
    observed = sum(is_no_answer) / max(len(is_no_answer), 1)
    if share is None or observed in (0.0, 1.0):
        return [1.0] * len(is_no_answer)
    if not 0.0 < share < 1.0:
        raise ValueError(f"A no-answer share must lie strictly between 0 and 1, not {share}.")
    return [share / observed if na else (1 - share) / (1 - observed) for na in is_no_answer]


@dataclass(frozen=True)
class DecisionFit:
    """A fitted decision and how it did out of fold on the data it was fitted on."""

    decision: AnswerDecision
    #: Out-of-fold probability per question (cross-fitting: never from a model that saw it).
    out_of_fold: tuple[float, ...]
    report: dict[str, Any]


def fit_decision(
    signals: Sequence[DecisionSignals],
    span_f1: Sequence[float],
    null_f1: Sequence[float],
    groups: Sequence[str],
    *,
    features: Sequence[str] = FEATURE_NAMES,
    folds: int = 5,
    fitted_on: str = "",
    importance: Sequence[float] | None = None,
) -> DecisionFit:
    """Fit the logistic decision on held-out pipeline outputs, cross-fitted by `groups` (products).

    :param signals: one per question, from the reader run with the decision switched off.
    :param span_f1: SQuAD F1 of each question's best span against its golds.
    :param null_f1: SQuAD F1 of abstaining (1 for a no-answer question, else 0).
    :param groups: the product of each question: folds never split a product.
    :param features: the signals to use (`FEATURE_NAMES` by default).
    :param folds: cross-fitting folds for the out-of-fold probabilities, the regularisation and the bands.
    :param fitted_on: a label for reports.
    :param importance: per-question weights, e.g. a class-prior correction that gives no-answer
        questions the share they have in the (larger) train split instead of the held-out mix;
        every fit and every reported number uses them. None = 1 each.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    # scikit-learn fits the weighted logistic model; only its parameters are kept, so that `decide`
    # stays a dependency-free pure function.
    index = [FEATURE_NAMES.index(name) for name in features]
    x = np.array([[s.vector()[i] for i in index] for s in signals], dtype=float)
    gain = np.asarray(span_f1, dtype=float) - np.asarray(null_f1, dtype=float)
    y = (gain > 0).astype(int)
    prior = np.ones(len(gain)) if importance is None else np.asarray(importance, dtype=float)
    w = np.abs(gain) * prior
    keep = w > 0
    if keep.sum() < 10 or len(set(y[keep])) < 2:
        raise ValueError("Too few held-out questions where answering and abstaining differ to fit a decision.")
    mean, scale = x[keep].mean(axis=0), x[keep].std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    group_array = np.asarray(groups)
    n_folds = max(2, min(folds, len(set(group_array[keep]))))

    def out_of_fold(c: float) -> np.ndarray:
        oof = np.zeros(len(z))
        for train, held in GroupKFold(n_splits=n_folds).split(z, y, group_array):
            train = train[keep[train]]
            model = LogisticRegression(C=c, max_iter=1000).fit(z[train], y[train], sample_weight=w[train])
            oof[held] = model.predict_proba(z[held])[:, 1]
        return oof

    def expected_f1(p: np.ndarray, threshold: float) -> float:
        chosen = np.where(p >= threshold, span_f1, null_f1)
        return float(np.average(chosen, weights=prior))

    grid = (0.01, 0.1, 1.0, 10.0)
    scored = {c: out_of_fold(c) for c in grid}
    best_c = max(grid, key=lambda c: expected_f1(scored[c], 0.5))
    oof = scored[best_c]
    model = LogisticRegression(C=best_c, max_iter=1000).fit(z[keep], y[keep], sample_weight=w[keep])
    ece, reliability = expected_calibration_error(oof[keep].tolist(), y[keep].tolist(), w[keep].tolist())
    decision = AnswerDecision(
        coefficients=tuple(float(c) for c in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        features=tuple(features),
        mean=tuple(float(m) for m in mean),
        scale=tuple(float(s) for s in scale),
        threshold=0.5,
        fitted_on=fitted_on,
    )
    report = {
        "questions": len(signals),
        "regularisation_C": best_c,
        "cv_f1_by_C": {str(c): expected_f1(scored[c], 0.5) for c in grid},
        "cv_f1": expected_f1(oof, 0.5),
        "f1_always_answer": float(np.average(span_f1, weights=prior)),
        "f1_never_answer": float(np.average(null_f1, weights=prior)),
        "weighted": importance is not None,
        "cv_ece": ece,
        "cv_reliability": reliability,
    }
    return DecisionFit(decision=decision, out_of_fold=tuple(float(p) for p in oof), report=report)
