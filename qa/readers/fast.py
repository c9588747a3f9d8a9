"""Faster reader inference on CPU: windows grouped by length, and bf16 or int8 arithmetic.

`TransformersExtractiveReader` runs every window of every review in one batch padded to the
longest window, in float32. Review lengths vary widely, so most of that batch is padding. This
module wraps the loaded question-answering model so that the reader's own `run` is unchanged:
- **length buckets**: windows are sorted by length and run in small groups, each trimmed to its own
  longest window (the logits of the trimmed positions are padding, which the reader masks anyway);
- **precision**: "fp32" (the reference), "bf16" (autocast where the CPU has AVX512-BF16/AMX, see
  `qa.device.supports_fast_bf16`), "int8" (torch's dynamic quantisation of every Linear layer,
  CPU only; weights are quantised once at load, activations per call), or "openvino" (the model
  converted in memory by OpenVINO and compiled for the CPU, in bf16 where OpenVINO reports the CPU
  can, else f32; CPU only, the `openvino` package), or "openvino-int8" (that model with int8
  weights and activations, quantised by NNCF's post-training quantisation on the reader's own dev
  windows; `write_openvino_int8` saves it beside the model when `reviewqa train-reader` or
  `tune-reader` chooses the variant, and the reader loads it from there).

`eval/bench_reader.py` measures each variant's passages/s against the stock reader and its F1 on
SubjQA; `reviewqa train-reader` records the variant it chose on dev beside the model.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal, get_args

import torch

from qa.readers.answerability import inference_module

Precision = Literal["fp32", "bf16", "int8", "openvino", "openvino-int8"]
#: Precisions that run on the CPU only.
CPU_ONLY: tuple[str, ...] = ("int8", "openvino", "openvino-int8")
#: Where `write_openvino_int8` saves the quantised model, inside the reader's folder.
OPENVINO_INT8_DIR = "openvino-int8"
PRECISIONS: tuple[str, ...] = get_args(Precision)
#: Windows per group at most, and how much padding a group may carry before a new group starts.
MAX_GROUP = 16
MAX_PADDING_SHARE = 0.2


def length_groups(lengths: list[int]) -> list[list[int]]:
    """Window indices grouped for running: sorted by length, a group ends before padding exceeds 20 %.

    :param lengths: each window's number of real (unpadded) tokens.
    :returns: groups of window indices; every index appears exactly once.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups: list[list[int]] = []
    for index in order:
        if groups:
            group = groups[-1]
            longest = lengths[index]  # sorted: the newcomer is the longest
            real = sum(lengths[i] for i in group) + longest
            padding = longest * (len(group) + 1) - real
            if len(group) < MAX_GROUP and padding <= MAX_PADDING_SHARE * longest * (len(group) + 1):
                group.append(index)
                continue
        groups.append([index])
    return groups


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """The model with its Linear layers dynamically quantised to int8 (CPU inference only)."""
    with warnings.catch_warnings():  # torch.ao's deprecation notice: the API works in this torch
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def installed(package: str) -> bool:
    """Is `package` importable ("openvino" runs the OpenVINO variants, "nncf" writes "openvino-int8")?"""
    import importlib.util

    return importlib.util.find_spec(package) is not None


def _openvino() -> Any:
    try:
        import openvino as ov
    except ImportError as error:
        from qa.errors import ModelError

        raise ModelError("The openvino reader variants need OpenVINO: `pip install openvino`.") from error
    return ov


def convert_openvino(model: torch.nn.Module) -> Any:
    """`model` converted by OpenVINO's PyTorch frontend, with dynamic batch and length (not compiled).

    The frontend is called directly rather than through `openvino.convert_model`, because that tool
    starts OpenVINO's usage telemetry (a network call unless the user opted out), and reviewqa makes
    no network call the user did not ask for.
    """
    ov = _openvino()
    from openvino.frontend import FrontEndManager
    from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder

    example = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
    with warnings.catch_warnings():  # tracing warnings of the transformers model code
        warnings.simplefilter("ignore")
        decoder = TorchScriptPythonDecoder(model, example_input=example)
    frontend = FrontEndManager().load_by_framework("pytorch")
    converted = frontend.convert(frontend.load(decoder))
    converted.reshape({port: ov.PartialShape([-1, -1]) for port in converted.inputs})
    return converted


def compile_openvino(converted: Any, *, int8: bool = False) -> Any:
    """Compile an OpenVINO model for the CPU.

    :param converted: an `openvino.Model` (from `convert_openvino`, or read from disk).
    :param int8: the model carries int8 quantisation (then the rest runs in f32, which measured faster
        than bf16 around int8 layers); otherwise bf16 where OpenVINO's capability list for the CPU names
        BF16, else f32.
    """
    ov = _openvino()
    core = ov.Core()
    hint = "f32" if int8 or "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "bf16"
    return core.compile_model(converted, "CPU", {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"})


def write_openvino_int8(model: torch.nn.Module, model_dir: Path, windows: Sequence[dict[str, Any]]) -> Path:
    """Quantise `model` to int8 with NNCF on calibration `windows` and save it in `model_dir`.

    :param model: the loaded question-answering model (CPU, eval mode); the answerability head saved in
        `model_dir`, if any, is quantised with it.
    :param model_dir: the reader's folder; the model goes to `<model_dir>/openvino-int8/model.xml`.
    :param windows: tokenised windows (`input_ids`, `attention_mask`, shape (1, length)) from held-out
        data, never test; NNCF collects activation ranges over them (at most 300 are used).
    """
    ov = _openvino()
    try:
        import nncf
    except ImportError as error:
        from qa.errors import ModelError

        raise ModelError("The openvino-int8 reader variant needs NNCF: `pip install nncf`.") from error
    if not windows:
        raise ValueError("Quantising needs calibration windows.")
    calibration = nncf.Dataset(list(windows), lambda w: [w["input_ids"], w["attention_mask"]])
    quantized = nncf.quantize(
        convert_openvino(inference_module(model, model_dir)),
        calibration,
        model_type=nncf.ModelType.TRANSFORMER,  # keeps softmax/layer-norm inputs in floating point
        subset_size=min(len(windows), 300),
    )
    target = model_dir / OPENVINO_INT8_DIR / "model.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    return target


def load_openvino_int8(model_dir: Path) -> Any:
    """The int8 model `write_openvino_int8` saved in `model_dir`, compiled; ModelError when there is none."""
    target = model_dir / OPENVINO_INT8_DIR / "model.xml"
    if not target.is_file():
        from qa.errors import ModelError

        raise ModelError(
            f"No int8 OpenVINO model in {model_dir}: `reviewqa tune-reader --model {model_dir}` writes it "
            "(with openvino and nncf installed), or choose another precision (REVIEWQA_READER_PRECISION)."
        )
    return compile_openvino(_openvino().Core().read_model(str(target)), int8=True)


class FastQAForward:
    """Callable like a transformers QA model (`input_ids`, `attention_mask` -> start/end logits).

    When the reader's folder holds an answerability head (`qa.readers.answerability`), the head runs in
    the same pass, in every precision, and each call's per-window logits are kept for `take_answerability`.

    :param model: a loaded `AutoModelForQuestionAnswering` (on its device, in eval mode).
    :param precision: "fp32", "bf16", "int8", "openvino" or "openvino-int8" (the last three on CPU only).
    :param model_dir: the reader's folder, where "openvino-int8" finds its quantised model and the
        answerability head is looked for.
    """

    def __init__(self, model: Any, precision: Precision = "fp32", model_dir: Path | None = None) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"Unknown reader precision {precision!r}: use one of {', '.join(PRECISIONS)}.")
        self.precision = precision
        self.device = model.device
        self.config = model.config
        runnable = inference_module(model, model_dir)
        self.has_answerability = runnable is not model
        self.model = quantize_int8(runnable) if precision == "int8" else runnable
        # Per-thread logits of the calls since the last `take_answerability` (one reader run).
        self._answerability = threading.local()
        self._openvino = None
        if precision == "openvino":
            self._openvino = compile_openvino(convert_openvino(runnable))
        elif precision == "openvino-int8":
            if model_dir is None:
                raise ValueError("The openvino-int8 variant needs the reader's folder (model_dir).")
            self._openvino = load_openvino_int8(model_dir)

    def _autocast(self) -> Any:
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def __call__(self, *, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        """Start and end logits of every window, shape (windows, padded length), float32."""
        lengths = attention_mask.sum(dim=1).tolist()
        start = torch.zeros(input_ids.shape, dtype=torch.float32, device=input_ids.device)
        end = torch.zeros_like(start)
        answerable = torch.zeros(input_ids.shape[0], dtype=torch.float32)
        with torch.inference_mode(), self._autocast():
            for group in length_groups([int(n) for n in lengths]):
                rows = torch.tensor(group, device=input_ids.device)
                width = max(int(lengths[i]) for i in group)
                ids, mask = input_ids[rows, :width], attention_mask[rows, :width]
                if self._openvino is not None:
                    outputs = self._openvino([ids.cpu().numpy(), mask.cpu().numpy()])
                    start[rows, :width] = torch.from_numpy(outputs[0].astype("float32"))
                    end[rows, :width] = torch.from_numpy(outputs[1].astype("float32"))
                    if self.has_answerability:
                        answerable[rows.cpu()] = torch.from_numpy(outputs[2].astype("float32"))
                    continue
                output = self.model(input_ids=ids, attention_mask=mask)
                if self.has_answerability:  # ReaderWithAnswerability: a (start, end, answerability) tuple
                    group_start, group_end, group_answerable = output
                    answerable[rows.cpu()] = group_answerable.float().cpu()
                else:
                    group_start, group_end = output.start_logits, output.end_logits
                start[rows, :width] = group_start.float()
                end[rows, :width] = group_end.float()
        if self.has_answerability:
            calls = getattr(self._answerability, "calls", [])
            self._answerability.calls = [*calls, answerable]
        return SimpleNamespace(start_logits=start, end_logits=end)

    def take_answerability(self) -> torch.Tensor | None:
        """The answerability logits of every window run by this thread since the last call (None: no head)."""
        calls = getattr(self._answerability, "calls", [])
        self._answerability.calls = []
        return torch.cat(calls) if self.has_answerability and calls else None
