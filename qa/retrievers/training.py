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

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from haystack import Document
from haystack.document_stores.in_memory import InMemoryDocumentStore

from indexer.sources.subjqa import load_subjqa
from qa.config import PACKAGED_MINILM, Settings, check_positive
from qa.device import resolve_device
from qa.errors import ReviewQAError
from qa.retrievers.encoder_models import RETRIEVER_INFO_FILE, resolve_encoder_model
from qa.stores.filters import review_filters
from qa.types import Question, Review


@dataclass(frozen=True)
class RetrieverTrainingConfig:
    """Hyper-parameters of one training run (defaults: CPU-cheap, as measured in the docs)."""

    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 256
    #: Texts encoded at once inside a batch (memory only: the loss is that of the whole batch).
    mini_batch_size: int = 16
    hard_negatives: bool = True
    separate: bool = False
    max_examples: int | None = None
    max_steps: int | None = None
    seed: int = 42

    def __post_init__(self) -> None:
        # Every number, from `train-retriever` flags or Python, is checked here once (qa.config helpers).
        check_positive("epochs", self.epochs)
        check_positive("learning_rate (--lr)", self.learning_rate)
        for name in ("batch_size", "max_seq_length", "mini_batch_size"):
            check_positive(name, getattr(self, name), integer=True)
        for name in ("max_examples", "max_steps"):
            check_positive(name, getattr(self, name), integer=True, optional=True)


def _answer_free(review: Review, question: Question) -> bool:
    return not any(a.text and a.text in review.text for a in question.answers)


def training_examples(
    questions: Sequence[Question], reviews: Sequence[Review], *, hard_negatives: bool = True
) -> dict[str, list[str]]:
    """Columns anchor (question), positive (its review) and, with hard negatives, negative."""
    by_id = {(r.item_id, r.review_id): r for r in reviews}
    store = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
    store.write_documents(
        [Document(content=r.text, meta={"item_id": r.item_id, "review_id": r.review_id}) for r in reviews]
    )
    columns: dict[str, list[str]] = {"anchor": [], "positive": []}
    if hard_negatives:
        columns["negative"] = []
    for question in questions:
        positive = by_id.get((question.item_id, question.review_id))
        text = positive.text if positive else question.review_text
        negative: str | None = None
        if hard_negatives:
            for filters in (review_filters(item_id=question.item_id), None):
                for doc in store.bm25_retrieval(question.question, filters=filters, top_k=10):
                    candidate = by_id[(doc.meta["item_id"], doc.meta["review_id"])]
                    if candidate.text != text and _answer_free(candidate, question):
                        negative = candidate.text
                        break
                if negative is not None:
                    break
            if negative is None:
                continue
            columns["negative"].append(negative)
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


def _replace_dir(source: Path, target: Path) -> None:
    """Move `source` to `target`, replacing it with two renames (never a half-written model)."""
    old = target.with_name(f".{target.name}-old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    source.rename(target)
    if old.exists():
        shutil.rmtree(old)


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
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}-") as work:
        args = SentenceTransformerTrainingArguments(
            output_dir=str(Path(work) / "checkpoints"),
            num_train_epochs=config.epochs,
            max_steps=config.max_steps if config.max_steps is not None else -1,
            per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            warmup_steps=config.warmup_ratio,  # a float is a ratio of the steps (transformers 5)
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            router_mapping={"anchor": "query", "positive": "document", "negative": "document"}
            if config.separate
            else {},
            save_strategy="no",
            report_to=[],
            logging_steps=10,
            seed=config.seed,
            use_cpu=resolve_device(settings.device) == "cpu",
            disable_tqdm=not progress,
            dataloader_num_workers=0,
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
        train_started = time.perf_counter()
        output = trainer.train()
        train_seconds = time.perf_counter() - train_started
        saved = Path(work) / "model"
        model.save(str(saved))
        report: dict[str, Any] = {
            "kind": "dpr",
            "base": base,
            "encoders": "separate" if config.separate else "shared",
            "domains": list(domains),
            "examples": len(columns["anchor"]),
            "steps": output.global_step,
            "train_loss": output.training_loss,
            "data_seconds": round(data_seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "device": resolve_device(settings.device),
            "config": asdict(config),
        }
        (saved / RETRIEVER_INFO_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        _replace_dir(saved, out_dir)
    report["out_dir"] = str(out_dir)
    return report
