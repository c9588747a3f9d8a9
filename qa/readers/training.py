"""Domain adaptation: fine-tune a question-answering model with transformers' Trainer.

The preprocessing is the standard SQuAD 2.0 recipe: long reviews become overlapping windows
(`max_seq_length`, `stride`), answers are located through the tokenizer's offset mapping, and a
window without the answer (or a no-answer question) is labelled with the CLS token. The saved
folder loads with `ExtractiveReader` and with transformers' question-answering pipeline.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from indexer.squad import SquadExample
from qa.config import NO_RERANKER, check_positive, check_share
from qa.device import supports_fast_bf16
from qa.errors import DataError, ModelError
from qa.readers.answerability import ANSWERABLE_LABEL, AnswerabilityMultiTask
from qa.readers.distillation import (
    TEACHER_END,
    TEACHER_START,
    DistillationCollator,
    DistilledReader,
    TeacherWindow,
    read_with_teacher,
    student_targets,
)
from qa.readers.model_files import READER_INFO_FILE, read_reader_info
from qa.readers.multitask import SUBJECTIVITY_LABEL, SubjectivityMultiTask
from qa.readers.windows import cls_position, context_positions, encode_windows
from qa.readers.wrapper import reader_model, save_extras
from qa.stores.atomic import replace_dir, write_atomic


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters of one reader training run."""

    epochs: float = 1.0
    learning_rate: float = 1e-4
    batch_size: int = 16
    max_seq_length: int = 384
    stride: int = 128
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    seed: int = 42
    max_examples: int | None = None
    #: Keep windows of an answerable question that do not contain its answer (labelled CLS)?
    #: HF's run_qa keeps them; on SubjQA they make 20% of all windows and push the reader
    #: towards "no answer", so the default drops them (no-answer questions keep all windows).
    keep_answerless_windows: bool = False
    #: Share of the no-answer examples trained on, in (0, 1], drawn with `seed` (1 = all). Their
    #: windows are 39% of the four domains' windows and 42% of their tokens, so a share below 1 buys
    #: more passes over answers in the same time; the answer decision is fitted afterwards on dev either way.
    no_answer_fraction: float = 1.0
    #: bfloat16 autocast: 1.5x faster per step on CPUs with AVX512-BF16 or AMX (measured on a
    #: 2-core EPYC) and on Ampere+ GPUs; slower on CPUs without bf16 instructions. None = chosen
    #: automatically (`qa.device.supports_fast_bf16`).
    bf16: bool | None = None
    #: Also save `<out>-epoch<N>` after each epoch but the last, to choose the epoch count on dev.
    save_every_epoch: bool = False
    #: Multi-task training: weight of a question-subjectivity loss (SubjQA's `is_ques_subjective`)
    #: added to the span loss; 0 trains the span head alone. The extra head is not saved.
    subjectivity_weight: float = 0.0
    #: Weight of an answerability head's loss (does this window hold the answer?) added to the span
    #: loss; the head is saved beside the model and read by the answer decision. 0 = no head.
    answerability_weight: float = 0.0
    #: Freeze the embeddings and the lowest N transformer layers (0 = train everything): no gradients
    #: flow below the first trained layer, so a step costs less (and, measured, the reader learns less).
    frozen_layers: int = 0
    #: Learning rate of the weights outside the pretrained encoder (the fresh span head, and any extra
    #: head), as a multiple of `learning_rate`, for a freshly initialised head to take larger steps than
    #: the encoder it sits on (measured: 10x was not better on dev for the quickstart's recipe). 1 = one rate.
    head_lr_multiplier: float = 1.0
    #: Save an exponential moving average of the weights, updated every step with this decay, instead
    #: of the last step's weights (`qa.readers.weight_average`); 0 = off. Epoch snapshots stay raw.
    weight_average_decay: float = 0.0
    #: Knowledge distillation: a trained reader (folder or hub id) whose start/end logits the student
    #: learns beside the gold spans (`qa.readers.distillation`); None trains on gold spans alone.
    teacher: str | None = None
    #: Share of the distillation loss, in (0, 1]; the gold span loss gets the rest.
    distillation_weight: float = 0.5
    #: Softmax temperature of the distillation loss (> 0).
    distillation_temperature: float = 2.0

    def __post_init__(self) -> None:
        # Every number, from `train-reader` flags or Python, is checked here once (qa.config helpers).
        check_positive("epochs", self.epochs)
        check_positive("learning_rate (--lr)", self.learning_rate)
        for name in ("batch_size", "max_seq_length", "stride"):
            check_positive(name, getattr(self, name), integer=True)
        check_positive("max_examples", self.max_examples, integer=True, optional=True)
        check_share("no_answer_fraction", self.no_answer_fraction)
        if self.frozen_layers != 0:  # 0 = off; the upper bound is the model's, checked in freeze_lower_layers
            check_positive("frozen_layers (0 = off)", self.frozen_layers, integer=True)
        for name in ("subjectivity_weight", "answerability_weight"):
            weight = getattr(self, name)
            if not (isinstance(weight, (int, float)) and 0 <= weight < 1e6):
                raise DataError(f"{name} must be a number from 0 (off) upwards, not {weight!r}.")
        check_positive("head_lr_multiplier", self.head_lr_multiplier)
        decay = self.weight_average_decay
        if not (isinstance(decay, int | float) and 0.0 <= decay < 1.0):
            raise DataError(f"weight_average_decay must lie in [0, 1) (0 = off), not {decay!r}.")
        check_positive("distillation_temperature", self.distillation_temperature)
        check_share("distillation_weight", self.distillation_weight)
        extras = [self.teacher is not None, self.subjectivity_weight > 0, self.answerability_weight > 0]
        if sum(extras) > 1:
            raise DataError(
                "Distillation (teacher), the subjectivity head and the answerability head cannot be combined: "
                "choose one."
            )


@dataclass
class TrainingRecord:
    """What was trained, on what, and how long it took (saved as `reviewqa_reader.json`)."""

    base: str
    domains: list[str]
    config: TrainingConfig
    examples: int = 0
    features: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)


class _Features(torch.utils.data.Dataset):
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]


def _answer_token_span(
    offsets: Sequence[tuple[int, int]], sequence_ids: Sequence[int | None], start_char: int, end_char: int
) -> tuple[int, int] | None:
    """Token indices of the answer inside this window's context, or None if it is not fully inside."""
    context = context_positions(sequence_ids)
    if not context:
        return None
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return None
    start = first
    while start <= last and offsets[start][1] <= start_char:
        start += 1
    end = last
    while end >= first and offsets[end][0] >= end_char:
        end -= 1
    return (start, end) if start <= end else None


def sample_no_answer(examples: Sequence[SquadExample], fraction: float, seed: int) -> list[SquadExample]:
    """Every answerable example and a `fraction` of the no-answer ones, drawn with `seed`, in order.

    :param examples: the training examples.
    :param fraction: share of no-answer examples to keep, in (0, 1]; 1 keeps all (and the order).
    :param seed: the random draw's seed, so the same config trains on the same examples.
    """
    if fraction >= 1:
        return list(examples)
    import random

    no_answer = [i for i, example in enumerate(examples) if example.answer_text is None]
    draw = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    kept = set(draw.sample(no_answer, round(len(no_answer) * fraction)))
    return [example for i, example in enumerate(examples) if example.answer_text is not None or i in kept]


def build_features(
    tokenizer: Any,
    examples: Sequence[SquadExample],
    config: TrainingConfig,
    teacher: Sequence[Sequence[TeacherWindow]] | None = None,
) -> list[dict[str, Any]]:
    """Tokenise examples into overflowing windows with start/end labels (CLS = no answer).

    With `teacher` (the teacher's windows per example, `read_with_teacher`), every window also gets
    the teacher's start/end logits for its own tokens.
    """
    encoded = encode_windows(tokenizer, examples, config.max_seq_length, config.stride)
    features: list[dict[str, Any]] = []
    for i, offsets in enumerate(encoded["offset_mapping"]):
        sample = encoded["overflow_to_sample_mapping"][i]
        example = examples[sample]
        input_ids = encoded["input_ids"][i]
        cls_index = cls_position(tokenizer, input_ids)
        span = None
        if example.answer_text is not None and example.answer_start is not None:
            end_char = example.answer_start + len(example.answer_text)
            span = _answer_token_span(offsets, encoded.sequence_ids(i), example.answer_start, end_char)
        if span is None and example.answer_text is not None and not config.keep_answerless_windows:
            continue
        start_position, end_position = span if span is not None else (cls_index, cls_index)
        row = {key: encoded[key][i] for key in encoded if key not in ("offset_mapping", "overflow_to_sample_mapping")}
        row.update(start_positions=start_position, end_positions=end_position)
        if config.subjectivity_weight > 0:
            row[SUBJECTIVITY_LABEL] = int(example.is_subjective)
        if config.answerability_weight > 0:
            row[ANSWERABLE_LABEL] = int(span is not None)
        if teacher is not None:
            row[TEACHER_START], row[TEACHER_END] = student_targets(
                teacher[sample], offsets, encoded.sequence_ids(i), cls_index
            )
        features.append(row)
    return features


def train_reader(
    base: str,
    examples: Sequence[SquadExample],
    out_dir: Path,
    *,
    domains: Sequence[str],
    config: TrainingConfig = TrainingConfig(),
    device: str = "cpu",
    progress: bool = True,
) -> TrainingRecord:
    """Fine-tune `base` on `examples` and save the reader to `out_dir` (atomically replaced)."""
    from transformers import (
        AutoModelForQuestionAnswering,
        AutoTokenizer,
        DataCollatorWithPadding,
        TrainingArguments,
        set_seed,
    )

    from qa.readers.head_rate import HeadRateTrainer

    if not examples:
        raise ModelError("No training examples: check the domains and the data directory.")
    if config.max_examples is not None:
        examples = list(examples)[: config.max_examples]
    examples = sample_no_answer(examples, config.no_answer_fraction, config.seed)
    set_seed(config.seed)
    from qa.hub import require_hub_model

    require_hub_model(base, "base model")
    try:
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForQuestionAnswering.from_pretrained(base)
    except (OSError, ValueError) as error:
        raise ModelError(f"Cannot load the base model {base!r}: {error}") from error

    bf16 = supports_fast_bf16(device) if config.bf16 is None else config.bf16
    record = TrainingRecord(base=base, domains=list(domains), config=config, examples=len(examples))
    teacher = None
    if config.teacher is not None:
        require_hub_model(config.teacher, "teacher")
        started = time.perf_counter()
        try:
            teacher = read_with_teacher(
                config.teacher,
                examples,
                max_seq_length=config.max_seq_length,
                stride=config.stride,
                device=device,
                bf16=bf16,
                progress=progress,
            )
        except (OSError, ValueError) as error:
            raise ModelError(f"Cannot load the teacher {config.teacher!r}: {error}") from error
        record.extra["teacher_seconds"] = round(time.perf_counter() - started, 1)
    features = build_features(tokenizer, examples, config, teacher)
    freeze_lower_layers(model, config.frozen_layers)
    trained = _training_model(model, config)
    record.features, record.device = len(features), device
    with tempfile.TemporaryDirectory(prefix="reviewqa-train-") as scratch:
        arguments = TrainingArguments(
            output_dir=scratch,
            num_train_epochs=config.epochs,
            learning_rate=config.learning_rate,
            per_device_train_batch_size=config.batch_size,
            weight_decay=config.weight_decay,
            warmup_steps=config.warmup_fraction,
            save_strategy="no",
            report_to=[],
            logging_steps=25,
            seed=config.seed,
            use_cpu=device == "cpu",
            disable_tqdm=not progress,
            # Batches of similar length need less padding: a large saving on CPU.
            train_sampling_strategy="group_by_length",
            bf16=bf16,
            label_names=["start_positions", "end_positions", *getattr(trained, "extra_labels", ())],
        )
        trainer = HeadRateTrainer(
            config.head_lr_multiplier,
            model=trained,
            args=arguments,
            train_dataset=_Features(features),
            data_collator=DistillationCollator(tokenizer)
            if teacher is not None
            else DataCollatorWithPadding(tokenizer),
            processing_class=tokenizer,
            callbacks=_callbacks(tokenizer, record, out_dir, config),
        )
        started = time.perf_counter()
        trainer.train()
        record.seconds = round(time.perf_counter() - started, 1)
        save_reader(trainer.model, tokenizer, record, out_dir)
    return record


def _callbacks(tokenizer: Any, record: TrainingRecord, out_dir: Path, config: TrainingConfig) -> list[TrainerCallback]:
    """The Trainer's extra callbacks: epoch snapshots and the weight average, when configured."""
    from qa.readers.weight_average import WeightAverage

    callbacks: list[TrainerCallback] = []
    if config.save_every_epoch:
        callbacks.append(_EpochSnapshots(tokenizer, record, out_dir))
    if config.weight_average_decay > 0:
        callbacks.append(WeightAverage(config.weight_average_decay))
    return callbacks


def freeze_lower_layers(model: Any, layers: int) -> None:
    """Stop training a transformer's embeddings and its lowest `layers` layers (none when 0).

    :param model: a transformers model with a task head (`base_model` is its encoder).
    :param layers: how many of the lowest layers to freeze, with the embeddings; at most all but one.
    :raises ModelError: the model has fewer layers, or no layer list and embeddings to find.
    """
    if layers == 0:
        return
    encoder = model.base_model
    total = getattr(model.config, "num_hidden_layers", None)
    stack = next(
        (m for m in encoder.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == total),
        None,
    )
    embeddings = getattr(encoder, "embeddings", None)
    if stack is None or embeddings is None:
        raise ModelError(f"Cannot find the layers of {type(model).__name__} to freeze; train without frozen_layers.")
    if layers >= len(stack):
        raise ModelError(f"frozen_layers must be below the model's {len(stack)} layers, not {layers}.")
    for module in [embeddings, *stack[:layers]]:
        module.requires_grad_(False)


def _training_model(model: Any, config: TrainingConfig) -> Any:
    """The model the Trainer optimises: the reader itself, or the reader inside its training-only loss."""
    if config.teacher is not None:
        return DistilledReader(model, config.distillation_weight, config.distillation_temperature)
    if config.subjectivity_weight > 0:
        return SubjectivityMultiTask(model, config.subjectivity_weight)
    if config.answerability_weight > 0:
        return AnswerabilityMultiTask(model, config.answerability_weight)
    return model


class _EpochSnapshots(TrainerCallback):
    """Save the reader as `<out>-epoch<N>` at the end of every epoch but the last."""

    def __init__(self, tokenizer: Any, record: TrainingRecord, out_dir: Path) -> None:
        self.tokenizer, self.record, self.out_dir = tokenizer, record, out_dir
        self.started = time.perf_counter()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        epoch = round(state.epoch or 0)
        if epoch >= args.num_train_epochs or kwargs.get("model") is None:
            return
        snapshot = replace(self.record, config=replace(self.record.config, epochs=float(epoch)))
        snapshot.seconds = round(time.perf_counter() - self.started, 1)
        snapshot.extra = {**snapshot.extra, "snapshot_of": f"{args.num_train_epochs} epochs"}
        snapshot_dir = self.out_dir.with_name(f"{self.out_dir.name}-epoch{epoch}")
        save_reader(kwargs["model"], self.tokenizer, snapshot, snapshot_dir)


def save_reader(model: Any, tokenizer: Any, record: TrainingRecord, out_dir: Path) -> None:
    """Save model, tokenizer and training record; a crash never leaves a half-written folder.

    :param model: the trained model, or the `TrainingWrapper` it was trained in (its kept heads are saved too).
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-"))
    try:
        reader_model(model).save_pretrained(staging)
        save_extras(model, staging)
        tokenizer.save_pretrained(staging)
        write_atomic(staging / READER_INFO_FILE, json.dumps(asdict(record), indent=2))
        replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def update_reader_info(model_dir: Path, **values: Any) -> None:
    """Add values (e.g. the tuned no-answer boost) to a trained reader's record."""
    info_path = model_dir / READER_INFO_FILE
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    info.setdefault("extra", {}).update(values)
    write_atomic(info_path, json.dumps(info, indent=2))


def store_decision(model_dir: Path, reranker: str, decision: dict | None, report: dict) -> None:
    """Record an answer decision (None: not fitted, the boost rule applies) and its report beside a reader.

    Without a reranker ("none") it is the reader's `answer_decision`; with one, an entry of
    `answer_decisions` under the reranker's identity, so fitting for a reranker never replaces the
    plain decision (`qa.readers.model_files.fitted_decision` reads them back).
    """
    if reranker == NO_RERANKER:
        update_reader_info(model_dir, answer_decision=decision, answer_decision_report=report)
        return
    extra = read_reader_info(str(model_dir)).get("extra", {})
    by_reranker = dict(extra.get("answer_decisions", {}))
    by_reranker[reranker] = {"decision": decision, "report": report}
    update_reader_info(model_dir, answer_decisions=by_reranker)
