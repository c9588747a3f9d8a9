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
  can, else f32; CPU only, the `openvino` package).

`eval/bench_reader.py` measures each variant's passages/s against the stock reader and its F1 on
SubjQA; `reviewqa train-reader` records the variant it chose on dev beside the model.
"""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any, Literal, get_args

import torch

Precision = Literal["fp32", "bf16", "int8", "openvino"]
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


def openvino_installed() -> bool:
    """Is the `openvino` package importable (the "openvino" variant's runtime)?"""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def compile_openvino(model: torch.nn.Module) -> Any:
    """`model` converted by OpenVINO's PyTorch frontend (dynamic batch and length), compiled for the CPU.

    Compiled in bf16 when OpenVINO's public capability list for the CPU names BF16, else in f32.
    The frontend is called directly rather than through `openvino.convert_model`, because that tool
    starts OpenVINO's usage telemetry (a network call unless the user opted out), and reviewqa makes
    no network call the user did not ask for.
    """
    try:
        import openvino as ov
        from openvino.frontend import FrontEndManager
        from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder
    except ImportError as error:
        from qa.errors import ModelError

        raise ModelError("The openvino reader variant needs OpenVINO: `pip install openvino`.") from error
    example = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
    with warnings.catch_warnings():  # tracing warnings of the transformers model code
        warnings.simplefilter("ignore")
        decoder = TorchScriptPythonDecoder(model, example_input=example)
    frontend = FrontEndManager().load_by_framework("pytorch")
    converted = frontend.convert(frontend.load(decoder))
    converted.reshape({port: ov.PartialShape([-1, -1]) for port in converted.inputs})
    core = ov.Core()
    hint = "bf16" if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"
    return core.compile_model(converted, "CPU", {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"})


class FastQAForward:
    """Callable like a transformers QA model (`input_ids`, `attention_mask` -> start/end logits).

    :param model: a loaded `AutoModelForQuestionAnswering` (on its device, in eval mode).
    :param precision: "fp32", "bf16", "int8" or "openvino" (the last two on CPU only).
    """

    def __init__(self, model: Any, precision: Precision = "fp32") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"Unknown reader precision {precision!r}: use one of {', '.join(PRECISIONS)}.")
        self.precision = precision
        self.device = model.device
        self.config = model.config
        self.model = quantize_int8(model) if precision == "int8" else model
        self._openvino = compile_openvino(model) if precision == "openvino" else None

    def _autocast(self) -> Any:
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def __call__(self, *, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        """Start and end logits of every window, shape (windows, padded length), float32."""
        lengths = attention_mask.sum(dim=1).tolist()
        start = torch.zeros(input_ids.shape, dtype=torch.float32, device=input_ids.device)
        end = torch.zeros_like(start)
        with torch.inference_mode(), self._autocast():
            for group in length_groups([int(n) for n in lengths]):
                rows = torch.tensor(group, device=input_ids.device)
                width = max(int(lengths[i]) for i in group)
                ids, mask = input_ids[rows, :width], attention_mask[rows, :width]
                if self._openvino is not None:
                    outputs = self._openvino([ids.cpu().numpy(), mask.cpu().numpy()])
                    start[rows, :width] = torch.from_numpy(outputs[0].astype("float32"))
                    end[rows, :width] = torch.from_numpy(outputs[1].astype("float32"))
                    continue
                output = self.model(input_ids=ids, attention_mask=mask)
                start[rows, :width] = output.start_logits.float()
                end[rows, :width] = output.end_logits.float()
        return SimpleNamespace(start_logits=start, end_logits=end)
