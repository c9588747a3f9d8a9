"""`reviewqa train-reranker`: a cross-encoder that scores whether a review answers a question.

No cross-encoder is packaged for offline use, so the project trains one with sentence-transformers'
`CrossEncoderTrainer`; Haystack's `SentenceTransformersSimilarityRanker` then reorders the retrieved
reviews with it. The default start ("auto") is the project's trained reader when there is one: its
encoder already reads question + review for answers, and on the four dev splits a reranker started
from it beat one started from the packaged MiniLM (R@1 0.698 vs 0.542 on electronics dev, README
"Reranker"); without a reader, the packaged MiniLM.

Data: SubjQA train questions aggregated by (question, product), as the evaluation groups them.
Label 1: a review of the group in which an annotator marked an answer. Label 0: the group's reviews
without an answer (SubjQA asks many questions a review does not answer), and up to `negatives`
reviews of the same product that BM25 ranks highest for the question and that contain none of the
group's answers. Loss: binary cross-entropy on the pair's logit, so the ranker's score (its sigmoid)
is also a probability that the review answers the question, a signal the answer decision can use.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from indexer.sources.subjqa import load_subjqa
from qa.config import PACKAGED_MINILM, Settings
from qa.device import resolve_device, supports_fast_bf16
from qa.errors import ReviewQAError
from qa.retrievers.encoder_models import resolve_encoder_model
from qa.retrievers.negatives import ReviewNegatives
from qa.retrievers.training_run import EncoderTrainingConfig, staging_dir, train_and_save, trainer_arguments
from qa.types import Question, Review

#: Written beside a reranker trained by `reviewqa train-reranker`.
RERANKER_INFO_FILE = "reviewqa_reranker.json"

#: The base that means "the trained offline reader if there is one, else the packaged MiniLM".
AUTO_BASE = "auto"


def reranker_base(base: str, settings: Settings) -> str:
    """The encoder a reranker starts from: `base`, or for "auto" the data dir's trained reader
    (`settings.default_reader_dir`, what the quickstart and `train-reader` write) when it exists, else
    the packaged MiniLM.

    :param base: "auto", a packaged name, hub id or folder.
    :param settings: the project's settings (data dir).
    """
    if base != AUTO_BASE:
        return base
    reader = settings.default_reader_dir
    return str(reader) if (reader / "config.json").is_file() else PACKAGED_MINILM


@dataclass(frozen=True)
class RerankerTrainingConfig(EncoderTrainingConfig):
    """Hyper-parameters of one reranker training run; the common ones are `EncoderTrainingConfig`'s
    (here `max_examples` counts (question, product) groups).

    :param negatives: BM25 hard negatives per answerable group (same product, answer-free).
    :param bf16: bf16 autocast; None = where the device runs it natively (`qa.device.supports_fast_bf16`).
    """

    learning_rate: float = 5e-5
    negatives: int = 3
    bf16: bool | None = None

    positive_integers: ClassVar[tuple[str, ...]] = ("negatives",)


def reranker_pairs(
    questions: Sequence[Question], reviews: Sequence[Review], *, negatives: int = 3
) -> dict[str, list[Any]]:
    """Columns question, review and label (1.0: the review answers the question, else 0.0).

    :param questions: one split's gold questions (grouped here by question text and product).
    :param reviews: the same split's reviews (hard negatives are drawn from them).
    :param negatives: BM25 hard negatives per group that has an answer.
    """
    pool = ReviewNegatives(reviews)
    groups: dict[tuple[str, str], list[Question]] = {}
    for question in questions:
        groups.setdefault((question.question, question.item_id), []).append(question)
    columns: dict[str, list[Any]] = {"question": [], "review": [], "label": []}

    def add(question: str, review: str, label: float) -> None:
        columns["question"].append(question)
        columns["review"].append(review)
        columns["label"].append(label)

    for (text, item_id), members in groups.items():
        answered = {_review_text(pool, q) for q in members if q.is_answerable}
        unanswered = {_review_text(pool, q) for q in members if not q.is_answerable} - answered
        for review in sorted(answered):
            add(text, review, 1.0)
        for review in sorted(unanswered):
            add(text, review, 0.0)
        if answered:
            answers = {a for q in members for a in q.gold_texts}
            for review in pool.hard_negatives(
                text, item_id, exclude=answered | unanswered, answers=answers, count=negatives, other_products=False
            ):
                add(text, review, 0.0)
    return columns


def _review_text(pool: ReviewNegatives, question: Question) -> str:
    review = pool.review(question.item_id, question.review_id)
    return review.text if review is not None else question.review_text


def train_reranker(
    settings: Settings,
    *,
    base: str = AUTO_BASE,
    domains: Sequence[str] = ("electronics",),
    source_dir: Path,
    out_dir: Path | None = None,
    config: RerankerTrainingConfig | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train a cross-encoder reranker on SubjQA train and save it to `out_dir` (default models/reranker).

    :param settings: the project's settings (data dir, device).
    :param base: the encoder to start from (a fresh scoring head is added): "auto" (`reranker_base`),
        a packaged name, hub id or folder.
    :param domains: SubjQA domains whose train split is used.
    :param source_dir: SubjQA's CSV folder.
    :param out_dir: where the model goes (replaced whole, never half-written).
    :param config: hyper-parameters (defaults: `RerankerTrainingConfig()`).
    :param progress: show the trainer's progress bar.
    :returns: a report (examples, steps, loss, seconds), also written beside the model.
    """
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (
        CrossEncoder,
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    config = config or RerankerTrainingConfig()
    out_dir = out_dir or settings.default_reranker_dir
    started = time.perf_counter()
    columns: dict[str, list[Any]] = {}
    for domain in domains:
        part = load_subjqa(source_dir, domain, "train")
        questions = part.questions
        if config.max_examples is not None:
            keep = list(dict.fromkeys((q.question, q.item_id) for q in questions))[: config.max_examples]
            questions = [q for q in questions if (q.question, q.item_id) in set(keep)]
        for name, values in reranker_pairs(questions, part.reviews, negatives=config.negatives).items():
            columns.setdefault(name, []).extend(values)
    labels = columns.get("label", [])
    if not labels or len(set(labels)) < 2:
        raise ReviewQAError("No reranker training pairs with both labels: check the SubjQA train split.")
    data_seconds = time.perf_counter() - started

    device = resolve_device(settings.device)
    base = reranker_base(base, settings)
    path = resolve_encoder_model(base, settings).name_or_path
    model = CrossEncoder(path, num_labels=1, max_length=config.max_seq_length, device=device)
    with staging_dir(out_dir) as work:
        args = CrossEncoderTrainingArguments(
            **trainer_arguments(config, work, device=device, progress=progress, logging_steps=20),
            bf16=supports_fast_bf16(device) if config.bf16 is None else config.bf16,
        )
        trainer = CrossEncoderTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_dict(columns),
            loss=BinaryCrossEntropyLoss(model),
        )
        record: dict[str, Any] = {
            "kind": "reranker",
            "base": base,
            "domains": list(domains),
            "pairs": len(labels),
            "positives": int(sum(labels)),
            "data_seconds": round(data_seconds, 1),
            "device": device,
            "config": asdict(config),
        }
        return train_and_save(
            trainer, model.save_pretrained, work, out_dir, info_file=RERANKER_INFO_FILE, report=record
        )
