"""What the two sentence-transformers trainings (`train-retriever`, `train-reranker`) share: their common
hyper-parameters, the trainer arguments built from them, and one run from training to a model folder
that is replaced whole (never half-written) with its training record beside it."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from qa.config import check_positive
from qa.stores.atomic import replace_dir


@dataclass(frozen=True)
class EncoderTrainingConfig:
    """Hyper-parameters every encoder training run has (subclasses add their own).

    :param epochs: passes over the training examples.
    :param batch_size: examples per step.
    :param learning_rate: peak learning rate (linear warm-up then decay).
    :param warmup_ratio: share of the steps spent warming up.
    :param max_seq_length: tokens per text (longer texts are truncated).
    :param max_examples: train on the first N examples (or question groups) of each domain only (a quick run).
    :param max_steps: stop after N steps (a quick run).
    :param seed: random seed of the trainer.
    """

    epochs: float = 1.0
    batch_size: int = 16
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 256
    max_examples: int | None = None
    max_steps: int | None = None
    seed: int = 42

    #: Further fields of a subclass that must be whole numbers above 0.
    positive_integers: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        # Every number, from CLI flags or Python, is checked here once (qa.config helpers).
        check_positive("epochs", self.epochs)
        check_positive("learning_rate (--lr)", self.learning_rate)
        for name in ("batch_size", "max_seq_length", *self.positive_integers):
            check_positive(name, getattr(self, name), integer=True)
        for name in ("max_examples", "max_steps"):
            check_positive(name, getattr(self, name), integer=True, optional=True)


def trainer_arguments(
    config: EncoderTrainingConfig, work: Path, *, device: str, progress: bool, logging_steps: int
) -> dict[str, Any]:
    """Keyword arguments for sentence-transformers' training arguments (both trainers take these).

    :param config: the run's hyper-parameters.
    :param work: the run's staging folder (`staging_dir`); checkpoints would go below it (none are saved).
    :param device: the resolved device ("cpu", "cuda", ...).
    :param progress: show the trainer's progress bar.
    :param logging_steps: log the loss every N steps.
    """
    return {
        "output_dir": str(work / "checkpoints"),
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps if config.max_steps is not None else -1,
        "per_device_train_batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "warmup_steps": config.warmup_ratio,  # a float is a ratio of the steps (transformers 5)
        "save_strategy": "no",
        "report_to": [],
        "logging_steps": logging_steps,
        "seed": config.seed,
        "use_cpu": device == "cpu",
        "disable_tqdm": not progress,
        "dataloader_num_workers": 0,
    }


@contextmanager
def staging_dir(out_dir: Path) -> Iterator[Path]:
    """A temporary folder beside `out_dir` (same file system, so the final move is atomic), removed after.

    :param out_dir: where the trained model will go.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}-") as work:
        yield Path(work)


def train_and_save(
    trainer: Any,
    save: Callable[[str], None],
    work: Path,
    out_dir: Path,
    *,
    info_file: str,
    report: dict[str, Any],
) -> dict[str, Any]:
    """Train, save the model into `work`, write the record beside it and replace `out_dir` with it.

    :param trainer: a sentence-transformers trainer, ready to `train()`.
    :param save: saves the trained model into the folder it is given.
    :param work: the run's staging folder (`staging_dir(out_dir)`).
    :param out_dir: the model's final folder (replaced whole).
    :param info_file: the record's file name inside the model folder.
    :param report: what the caller records (kind, base, data, config...); steps, loss and seconds are added.
    :returns: the report, with `out_dir`.
    """
    started = time.perf_counter()
    output = trainer.train()
    report = {
        **report,
        "steps": output.global_step,
        "train_loss": output.training_loss,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    saved = work / "model"
    save(str(saved))
    (saved / info_file).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    replace_dir(saved, out_dir)
    return {**report, "out_dir": str(out_dir)}
