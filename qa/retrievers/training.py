"""`reviewqa train-retriever`: DPR-style question/review encoders trained offline from the packaged MiniLM.

Data: SubjQA train questions; the positive of a question is its own review, the hard negative is
the review of the *same product* that BM25 ranks highest for the question among those that are not
its review and contain none of its gold answers (other products' reviews are the fallback when the
product has no other review). Loss: MultipleNegativesRankingLoss, i.e. in-batch negatives (every
other review in the batch) plus the hard negative column, computed in mini-batches (the cached
variant: same loss, a fraction of the memory); batches never repeat a text, so a review is never
its own question's in-batch negative.

Encoders: "shared" trains one encoder for questions and reviews; "separate" wraps two copies of
the base in a sentence-transformers `Router` (route "query" for questions, "document" for reviews),
saved as one folder that Haystack's embedders load with `encode_kwargs={"task": ...}`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from indexer.sources.subjqa import load_subjqa
from qa.config import PACKAGED_MINILM, Settings
from qa.device import resolve_device
from qa.errors import ReviewQAError
from qa.retrievers.encoder_models import RETRIEVER_INFO_FILE, resolve_encoder_model
from qa.retrievers.negatives import ReviewNegatives
from qa.retrievers.training_run import EncoderTrainingConfig, staging_dir, train_and_save, trainer_arguments
from qa.types import Question, Review


@dataclass(frozen=True)
class RetrieverTrainingConfig(EncoderTrainingConfig):
    """Hyper-parameters of one DPR training run (defaults: CPU-cheap, as measured in the docs); the
    common ones are `EncoderTrainingConfig`'s.

    :param mini_batch_size: texts encoded at once inside a batch (memory only: the loss is that of the
        whole batch).
    :param hard_negatives: add each question's BM25 hard negative as a third column.
    :param separate: train separate question and review encoders (a `Router`) instead of one.
    """

    batch_size: int = 32
    mini_batch_size: int = 16
    hard_negatives: bool = True
    separate: bool = False

    positive_integers: ClassVar[tuple[str, ...]] = ("mini_batch_size",)


def training_examples(
    questions: Sequence[Question], reviews: Sequence[Review], *, hard_negatives: bool = True
) -> dict[str, list[str]]:
    """Columns anchor (question), positive (its review) and, with hard negatives, negative."""
    pool = ReviewNegatives(reviews)
    columns: dict[str, list[str]] = {"anchor": [], "positive": []}
    if hard_negatives:
        columns["negative"] = []
    for question in questions:
        positive = pool.review(question.item_id, question.review_id)
        text = positive.text if positive else question.review_text
        if hard_negatives:
            negatives = pool.hard_negatives(
                question.question, question.item_id, exclude={text}, answers=question.gold_texts
            )
            if not negatives:
                continue
            columns["negative"].append(negatives[0])
        columns["anchor"].append(question.question)
        columns["positive"].append(text)
    return columns


def _set_max_seq_length(model: Any, length: int) -> None:
    from sentence_transformers.base.modules import Transformer

    for module in model.modules():
        if isinstance(module, Transformer):
            module.max_seq_length = length


def build_model(base: str, settings: Settings, *, separate: bool, max_seq_length: int) -> Any:
    """The model to train: the base itself (shared) or a query/document Router of two copies (separate)."""
    from sentence_transformers import SentenceTransformer

    path = resolve_encoder_model(base, settings).name_or_path
    device = resolve_device(settings.device)
    if not separate:
        model = SentenceTransformer(path, device=device)
    else:
        from sentence_transformers.base.modules import Router

        query, document = SentenceTransformer(path, device=device), SentenceTransformer(path, device=device)
        router = Router.for_query_document(
            query_modules=list(query.children()),  # type: ignore[arg-type]
            document_modules=list(document.children()),  # type: ignore[arg-type]
        )
        model = SentenceTransformer(modules=[router], device=device)
    _set_max_seq_length(model, max_seq_length)
    return model


def train_dpr(
    settings: Settings,
    *,
    base: str = PACKAGED_MINILM,
    domains: Sequence[str] = ("electronics",),
    source_dir: Path,
    out_dir: Path | None = None,
    config: RetrieverTrainingConfig | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train question/review encoders on SubjQA train and save them to `out_dir` (default models/dpr)."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import CachedMultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    config = config or RetrieverTrainingConfig()
    out_dir = out_dir or settings.default_dpr_dir
    started = time.perf_counter()
    columns: dict[str, list[str]] = {}
    for domain in domains:
        part = load_subjqa(source_dir, domain, "train")
        questions = part.questions[: config.max_examples] if config.max_examples is not None else part.questions
        for name, values in training_examples(questions, part.reviews, hard_negatives=config.hard_negatives).items():
            columns.setdefault(name, []).extend(values)
    if not columns.get("anchor"):
        raise ReviewQAError("No training examples: check the SubjQA train split of the chosen domains.")
    if config.max_examples is not None:
        columns = {k: v[: config.max_examples] for k, v in columns.items()}
    data_seconds = time.perf_counter() - started

    model = build_model(base, settings, separate=config.separate, max_seq_length=config.max_seq_length)
    device = resolve_device(settings.device)
    with staging_dir(out_dir) as work:
        args = SentenceTransformerTrainingArguments(
            **trainer_arguments(config, work, device=device, progress=progress, logging_steps=10),
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            router_mapping={"anchor": "query", "positive": "document", "negative": "document"}
            if config.separate
            else {},
        )
        trainer = SentenceTransformerTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_dict(columns),
            # The same loss and gradients as MultipleNegativesRankingLoss (in-batch negatives over the whole
            # batch of 32), computed in mini-batches (GradCache): plain MNRL needed 7 GB of RAM at
            # max_seq_length 256 and was killed for memory on a 24 GB machine shared with others.
            loss=CachedMultipleNegativesRankingLoss(model, mini_batch_size=config.mini_batch_size),
        )
        record: dict[str, Any] = {
            "kind": "dpr",
            "base": base,
            "encoders": "separate" if config.separate else "shared",
            "domains": list(domains),
            "examples": len(columns["anchor"]),
            "data_seconds": round(data_seconds, 1),
            "device": device,
            "config": asdict(config),
        }
        return train_and_save(trainer, model.save, work, out_dir, info_file=RETRIEVER_INFO_FILE, report=record)
