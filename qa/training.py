"""Train a reader on SubjQA and tune its no-answer threshold on a held-out split (never test)."""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from haystack import ExtractedAnswer

from indexer.sources.subjqa import SubjQASplit, load_subjqa
from indexer.squad import to_training_examples
from indexer.write import write_reviews
from qa.config import NO_RERANKER, Settings
from qa.device import resolve_device
from qa.errors import DataError
from qa.pipelines.definitions import build_reader, extractive_pipeline
from qa.question_groups import QuestionGroup, group_questions
from qa.readers.boost import no_answer_share, predict_isolated, score_predictions, tune_no_answer_boost
from qa.readers.decision import DecisionSignals, decision_features, fit_decision, prior_weights, reads_similarity
from qa.readers.squad import max_over_golds
from qa.readers.training import TrainingConfig, TrainingRecord, store_decision, train_reader, update_reader_info
from qa.retrievers.encoder_models import resolve_encoder_model
from qa.retrievers.reranker import reranker_identity
from qa.stores.filters import review_filters
from qa.types import Question


def train_and_tune(
    settings: Settings,
    *,
    base: str,
    domains: Sequence[str],
    source_dir: Path,
    out_dir: Path,
    config: TrainingConfig,
    tune_on: str | None = "dev",
    progress: bool = True,
    max_tune_questions: int | None = None,
    no_answer_prior: str = "train",
    timing_groups: int = 40,
) -> dict[str, Any]:
    """Fine-tune `base` on the train splits of `domains`, then fit the answer decision on `tune_on`.

    The inference variants (`choose_inference_precision`) are then timed on at most `timing_groups`
    (question, product) groups of `tune_on` per domain.

    The decision (`fit_answer_decision`) is fitted on the pipeline's outputs over the `tune_on` split
    of the same domains; `tune_reader` (the single no-answer boost) remains a separate step.
    """
    if tune_on == "test":
        raise DataError("Tuning on the test split would leak it into the model; use dev.")
    resolve_no_answer_prior(no_answer_prior, domains, source_dir)  # a bad value fails before training
    questions = [q for d in domains for q in load_subjqa(source_dir, d, "train").questions]
    record = _train(settings, base, questions, out_dir, domains, config, progress)
    report: dict[str, Any] = {"out": str(out_dir), "training": asdict(record)}
    if tune_on:
        report["answer_decision"] = fit_answer_decision(
            settings,
            out_dir,
            domains,
            source_dir,
            tune_on,
            progress=progress,
            max_groups=max_tune_questions,
            no_answer_prior=no_answer_prior,
        )
        report["inference"] = choose_inference_precision(
            settings,
            out_dir,
            domains,
            source_dir,
            tune_on,
            progress=progress,
            max_groups=min(max_tune_questions or timing_groups, timing_groups),
        )
    return report


def fit_answer_decision(
    settings: Settings,
    model_dir: Path,
    domains: Sequence[str],
    source_dir: Path,
    split: str = "dev",
    *,
    progress: bool = True,
    max_groups: int | None = None,
    no_answer_prior: str = "train",
) -> dict[str, Any]:
    """Fit the answer decision on the pipeline's own outputs over `split` (never test) and save it.

    The `split` reviews of every domain go into a fresh in-memory BM25 store; every (question, product)
    group is asked through the extractive pipeline at `settings.retrieval.top_k`, with the reader's
    decision switched off (boost 0), and the reader's signals, the best span's F1 and abstaining's F1
    are collected. `qa.readers.decision.fit_decision` fits the logistic decision, cross-fitted by
    product; the parameters and the out-of-fold report go into `reviewqa_reader.json`. With a reranker
    configured (`settings.retrieval.reranker`), BM25's candidates are reranked first, the fit also
    reads the reranker's probability, and it is stored under the reranker's identity.

    `no_answer_prior` re-weights the groups so that no-answer ones have the share they have in the
    train splits ("train", the default: dev is small and its mix differs, 61 % no-answer in
    electronics dev against 46 % in train), the held-out mix ("held-out") or a given share.
    """
    if split == "test":
        raise DataError("Fitting the answer decision on the test split would leak it; use dev.")
    reader_settings = replace(settings.reader, model=str(model_dir), no_answer_boost=0.0, precision="fp32")
    tuning_settings = settings.with_overrides(reader=reader_settings, retriever="bm25")
    signals: list[DecisionSignals] = []
    span_f1: list[float] = []
    null_f1: list[float] = []
    products: list[str] = []
    held_out = HeldOut.load(source_dir, domains, split, max_groups)
    asked = held_out.ask(tuning_settings, progress, "Fitting the answer decision", all_signals=True)
    for domain, group, answers in asked:
        null = next(a for a in answers if a.data is None)
        best = next((a.data for a in answers if a.data is not None), None)
        signals.append(DecisionSignals(**null.meta["signals"]))
        span_f1.append(max_over_golds(best, group.answers)[1] if best is not None else 0.0)
        null_f1.append(max_over_golds(None, group.answers)[1])
        products.append(f"{domain}:{group.item_id}")
    reranker = reranker_identity(tuning_settings)
    stages = "bm25" if reranker == NO_RERANKER else f"bm25 -> reranker {reranker}"
    fitted_on = f"{'+'.join(domains)}/{split}, pipeline {stages} top-{settings.retrieval.top_k}"
    share = resolve_no_answer_prior(no_answer_prior, domains, source_dir)
    importance = None if share is None else prior_weights([f == 1.0 for f in null_f1], share)
    if share is not None:
        fitted_on += f", no-answer share {share:.2f} ({no_answer_prior})"
    features = decision_features(signals, reranked=reranker != NO_RERANKER)
    try:
        fit = fit_decision(
            signals, span_f1, null_f1, products, features=features, fitted_on=fitted_on, importance=importance
        )
    except ValueError as error:  # too little signal (a reader trained for a few steps): keep the boost rule
        report = {"fitted": False, "reason": str(error), "questions": len(signals)}
        store_decision(model_dir, reranker, None, report)
        return report
    # The single CLS-logit threshold, fitted the same way on the same outputs: dev keeps whichever
    # of the two has the higher out-of-fold F1 (the extra signals do not help every reader).
    gap_only = fit_decision(
        signals, span_f1, null_f1, products, features=("gap",), fitted_on=fitted_on, importance=importance
    )
    kept = fit if fit.report["cv_f1"] >= gap_only.report["cv_f1"] else gap_only
    decision = kept.decision
    if reads_similarity(decision):  # the reader must compute its cosines with this same encoder
        decision = replace(decision, similarity_model=settings.reader.similarity_model)
    report = {
        **kept.report,
        "kept": "all signals" if kept is fit else "gap only",
        "cv_f1_all_signals": fit.report["cv_f1"],
        "cv_ece_all_signals": fit.report["cv_ece"],
        "cv_f1_gap_only": gap_only.report["cv_f1"],
        "cv_ece_gap_only": gap_only.report["cv_ece"],
    }
    store_decision(model_dir, reranker, decision.to_dict(), report)
    return {"fitted": True, "reranker": reranker, **report}


@dataclass(frozen=True)
class HeldOut:
    """A held-out split of several domains, in one in-memory BM25 store, asked group by group."""

    split: str
    parts: list[SubjQASplit]
    groups: dict[str, list[QuestionGroup]]
    store: Any

    @classmethod
    def load(cls, source_dir: Path, domains: Sequence[str], split: str, max_groups: int | None) -> HeldOut:
        """The `split` of `domains`, the first `max_groups` (question, product) groups of each."""
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        parts = [load_subjqa(source_dir, domain, split) for domain in domains]
        store = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
        write_reviews(store, [review for part in parts for review in part.reviews], progress=False)
        groups = {part.domain: group_questions(part.questions)[:max_groups] for part in parts}
        return cls(split=split, parts=parts, groups=groups, store=store)

    def ask(
        self, settings: Settings, progress: bool, description: str, *, all_signals: bool = False
    ) -> Iterator[tuple[str, QuestionGroup, list[ExtractedAnswer]]]:
        """(domain, group, the extractive pipeline's answers) for every group, as `ask` filters it.

        With `all_signals`, the reader computes every decision signal it can (`build_reader`).

        One pipeline for every domain (a component belongs to one pipeline); each question is
        filtered to its own product, split and domain, at `settings.retrieval.top_k`.
        """
        from tqdm.auto import tqdm

        reader = build_reader(settings, all_signals=all_signals)
        reader.warm_up()
        pipeline = extractive_pipeline(self.store, settings, reader=reader)
        for domain, groups in self.groups.items():
            for group in tqdm(groups, desc=f"{description} ({domain}/{self.split})", disable=not progress):
                output = pipeline.run(
                    {
                        "retriever": {
                            "query": group.question,
                            "filters": review_filters(group.item_id, self.split, domain),
                            "top_k": settings.retrieval.top_k,
                        },
                        "reader": {"query": group.question, "top_k": 1},
                    }
                )
                yield domain, group, output["reader"]["answers"]


def _write_int8_variant(model_dir: Path, held_out: HeldOut, max_seq_length: int, windows: int = 300) -> None:
    """Quantise the reader in `model_dir` to int8 OpenVINO, calibrated on held-out (question, review) windows."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.readers.fast import write_openvino_int8

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir).eval()
    questions = [q for part in held_out.parts for q in part.questions][:windows]
    encoded = [
        tokenizer(q.question, q.review_text, truncation="only_second", max_length=max_seq_length, return_tensors="np")
        for q in questions
    ]
    write_openvino_int8(model, model_dir, [{k: e[k] for k in ("input_ids", "attention_mask")} for e in encoded])


#: A faster inference variant is kept only if its held-out F1 is at most this far below fp32's.
MAX_F1_LOSS = 0.01
#: ...and only if it is at least this many times faster than fp32 through the whole pipeline. Every
#: variant answers a little differently, and timings of 160 groups move by 10-20 % between machines
#: and sessions: a marginal gain (int8 at 1.22x on a CPU without bf16 instructions, while the sentence
#: encoder takes most of the time) would make the same training command give different answers, and
#: different reported numbers, from one machine to the next.
MIN_SPEEDUP = 1.5


def pick_variant(measured: dict[str, dict[str, float]], reference: str = "fp32") -> str:
    """The inference variant to keep: the fastest within `MAX_F1_LOSS` of `reference` that is at least
    `MIN_SPEEDUP` times faster than it, else `reference` (pure; `choose_inference_precision` times them).

    :param measured: per variant, its held-out `f1` and `seconds` over the same groups.
    :param reference: the variant the others are measured against (it must be in `measured`).
    """
    base = measured[reference]
    allowed = [
        name
        for name, m in measured.items()
        if name == reference or (m["f1"] >= base["f1"] - MAX_F1_LOSS and m["seconds"] * MIN_SPEEDUP <= base["seconds"])
    ]
    return min(allowed, key=lambda name: measured[name]["seconds"])


def choose_inference_precision(
    settings: Settings,
    model_dir: Path,
    domains: Sequence[str],
    source_dir: Path,
    split: str = "dev",
    *,
    max_groups: int | None = 40,
    progress: bool = True,
) -> dict[str, Any]:
    """Time fp32, bf16 (where the CPU runs it natively), int8, openvino and openvino-int8 (when installed) on
    `split`; record the fastest that loses at most one F1 point against fp32 and is at least 1.5x faster
    (`pick_variant`) in `reviewqa_reader.json` (`inference`), which `ReaderSettings.precision = "auto"`
    then uses.

    Each variant answers the same groups through the pipeline with the model's fitted decision. The
    openvino-int8 model is first quantised on windows of the same held-out questions and saved in
    `model_dir` (`qa.readers.fast.write_openvino_int8`).
    """
    import time

    from qa.device import supports_fast_bf16
    from qa.readers.fast import installed

    if split == "test":
        raise DataError("Choosing the inference variant on the test split would leak it; use dev.")
    device = resolve_device(settings.device)
    candidates = ["fp32", "int8", *(["openvino"] if installed("openvino") else [])] if device == "cpu" else ["fp32"]
    if supports_fast_bf16(device):
        candidates.insert(1, "bf16")
    held_out = HeldOut.load(source_dir, domains, split, max_groups)
    if device == "cpu" and installed("openvino") and installed("nncf"):
        _write_int8_variant(model_dir, held_out, settings.reader.max_seq_length)
        candidates.append("openvino-int8")
    measured: dict[str, dict[str, float]] = {}
    for precision in candidates:
        variant = settings.with_overrides(
            retriever="bm25", reader=replace(settings.reader, model=str(model_dir), precision=precision)
        )
        f1: list[float] = []
        started = time.perf_counter()
        for _, group, answers in held_out.ask(variant, progress, f"Timing the {precision} reader"):
            f1.append(max_over_golds(answers[0].data if answers else None, group.answers)[1])
        measured[precision] = {"f1": statistics.fmean(f1), "seconds": time.perf_counter() - started}
    reference = measured["fp32"]
    chosen = pick_variant(measured)
    report = {
        "precision": chosen,
        "rule": {"max_f1_loss": MAX_F1_LOSS, "min_speedup": MIN_SPEEDUP},
        "measured_on": f"{'+'.join(domains)}/{split}, {sum(len(g) for g in held_out.groups.values())} groups",
        "variants": {p: {**m, "speedup": reference["seconds"] / m["seconds"]} for p, m in measured.items()},
    }
    update_reader_info(model_dir, inference=report)
    return report


def _train(
    settings: Settings,
    base: str,
    questions: Sequence[Question],
    out_dir: Path,
    domains: Sequence[str],
    config: TrainingConfig,
    progress: bool,
) -> TrainingRecord:
    """Fine-tune `base` (any encoder name, packaged MPNet included) on `questions` as SQuAD examples."""
    return train_reader(
        resolve_encoder_model(base, settings).name_or_path,
        to_training_examples(questions),
        out_dir,
        domains=domains,
        config=config,
        device=resolve_device(settings.device),
        progress=progress,
    )


def tune_reader(
    settings: Settings,
    model_dir: Path,
    domains: Sequence[str],
    source_dir: Path,
    split: str = "dev",
    progress: bool = True,
    max_questions: int | None = None,
    no_answer_prior: str = "train",
) -> dict[str, Any]:
    """Choose the reader's no-answer boost on `split` (never test) and record it beside the model.

    `no_answer_prior` sets the no-answer share the threshold is tuned for: "train" (the share in
    the train splits of `domains`, the default: far more questions than dev, whose mix differs),
    "held-out" (the tuning split's own mix, as the SQuAD 2.0 script's `best_f1`), or a number.
    """
    if split == "test":
        raise DataError("Tuning on the test split would leak it into the model; use dev.")
    share = resolve_no_answer_prior(no_answer_prior, domains, source_dir)
    held_out = [q for d in domains for q in load_subjqa(source_dir, d, split).questions][:max_questions]
    reader_settings = replace(settings.reader, model=str(model_dir), no_answer_boost=0.0, precision="fp32")
    reader = build_reader(replace(settings, reader=reader_settings))
    predictions = predict_isolated(reader, held_out, progress=progress)
    boost, f1 = tune_no_answer_boost(held_out, predictions, no_answer_share=share)
    tuned_on = f"{'+'.join(domains)}/{split}"
    update_reader_info(
        model_dir, no_answer_boost=boost, tuned_on=tuned_on, tuned_f1=f1, no_answer_prior=no_answer_prior
    )
    return {
        "no_answer_boost": boost,
        "no_answer_share": share if share is not None else no_answer_share(held_out),
        f"{split}_f1_at_boost_0": score_predictions(held_out, predictions).overall.f1,
        f"{split}_f1_tuned": f1,
    }


def resolve_no_answer_prior(prior: str, domains: Sequence[str], source_dir: Path) -> float | None:
    """The no-answer share to tune for: from the train splits, None for the held-out mix, or a number."""
    if prior == "train":
        return no_answer_share([q for d in domains for q in load_subjqa(source_dir, d, "train").questions])
    if prior == "held-out":
        return None
    try:
        share = float(prior)
    except ValueError:
        share = -1.0
    if not 0.0 < share < 1.0:
        raise DataError(f"--no-answer-prior must be 'train', 'held-out' or a number in (0, 1), not {prior!r}.")
    return share


def cross_validate(
    settings: Settings,
    *,
    base: str,
    domains: Sequence[str],
    source_dir: Path,
    folds: int,
    config: TrainingConfig,
    work_dir: Path,
    progress: bool = True,
) -> dict[str, Any]:
    """K-fold cross-validation over the train split, folds split by product (no product in two folds).

    For each fold a reader is trained on the other folds and read on this one's questions. Reported
    per fold and as mean/std: F1 at boost 0 and the best-threshold F1 (the SQuAD 2.0 script's
    `best_f1`, an optimistic number: the threshold is chosen on the fold itself).
    """
    if folds < 2:
        raise DataError("Cross-validation needs at least 2 folds.")
    questions = [q for d in domains for q in load_subjqa(source_dir, d, "train").questions]
    products = sorted({q.item_id for q in questions})
    fold_of = {item: i % folds for i, item in enumerate(products)}
    scores: list[dict[str, float]] = []
    for fold in range(folds):
        train = [q for q in questions if fold_of[q.item_id] != fold]
        held_out = [q for q in questions if fold_of[q.item_id] == fold]
        if config.max_examples is not None:
            held_out = held_out[: config.max_examples]
        model_dir = work_dir / f"fold-{fold}"
        _train(settings, base, train, model_dir, domains, config, progress)
        reader = build_reader(
            replace(settings, reader=replace(settings.reader, model=str(model_dir), no_answer_boost=0.0))
        )
        predictions = predict_isolated(reader, held_out, progress=progress)
        breakdown = score_predictions(held_out, predictions)
        _, best_f1 = tune_no_answer_boost(held_out, predictions)
        scores.append(
            {
                "questions": len(held_out),
                "f1": breakdown.overall.f1,
                "has_ans_f1": breakdown.has_ans.f1,
                "best_f1": best_f1,
            }
        )
    summary = {
        key: {"mean": statistics.fmean(s[key] for s in scores), "std": statistics.pstdev(s[key] for s in scores)}
        for key in ("f1", "has_ans_f1", "best_f1")
    }
    return {"folds": scores, "summary": summary, "domains": list(domains), "config": asdict(config)}
