"""Train a reader on SubjQA and tune its no-answer threshold on a held-out split (never test)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from eval.reader import predict_isolated, score_predictions, tune_no_answer_boost
from indexer.sources.subjqa import load_subjqa
from indexer.squad import to_training_examples
from qa.config import Settings
from qa.device import resolve_device
from qa.errors import DataError
from qa.pipelines.definitions import build_reader
from qa.readers.models import resolve_model
from qa.readers.training import TrainingConfig, train_reader, update_reader_info


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
) -> dict[str, Any]:
    """Fine-tune `base` on the train splits of `domains`, then tune no-answer on `tune_on`."""
    if tune_on == "test":
        raise DataError("Tuning on the test split would leak it into the model; use dev.")
    questions = [q for d in domains for q in load_subjqa(source_dir, d, "train").questions]
    record = train_reader(
        resolve_model(base).name_or_path,
        to_training_examples(questions),
        out_dir,
        domains=domains,
        config=config,
        device=resolve_device(settings.device),
        progress=progress,
    )
    report: dict[str, Any] = {"out": str(out_dir), "training": asdict(record)}
    if tune_on:
        held_out = [q for d in domains for q in load_subjqa(source_dir, d, tune_on).questions][:max_tune_questions]
        reader_settings = replace(settings.reader, model=str(out_dir), no_answer_boost=0.0)
        reader = build_reader(replace(settings, reader=reader_settings))
        predictions = predict_isolated(reader, held_out, progress=progress)
        boost, f1 = tune_no_answer_boost(held_out, predictions)
        update_reader_info(out_dir, no_answer_boost=boost, tuned_on=f"{'+'.join(domains)}/{tune_on}", tuned_f1=f1)
        report["no_answer_boost"] = boost
        report[f"{tune_on}_f1_at_boost_0"] = score_predictions(held_out, predictions).overall.f1
        report[f"{tune_on}_f1_tuned"] = f1
    return report
