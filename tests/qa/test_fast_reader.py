"""The fast reader paths: grouping by length changes nothing; bf16/int8 stay close to fp32."""

from __future__ import annotations

import pytest
import torch

from qa.readers.fast import FastQAForward, length_groups


def test_length_groups_cover_every_window_once_and_limit_padding() -> None:
    lengths = [384, 12, 200, 13, 384, 90, 14, 380]
    groups = length_groups(lengths)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for group in groups:
        longest = max(lengths[i] for i in group)
        padding = longest * len(group) - sum(lengths[i] for i in group)
        assert padding <= 0.2 * longest * len(group)
    assert [12, 13, 14] in [sorted(lengths[i] for i in g) for g in groups]  # similar lengths share a run
    assert length_groups([]) == []


@pytest.fixture(scope="module")
def qa_model():
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    from qa.readers.model_files import packaged_minilm_dir

    path = packaged_minilm_dir()
    torch.manual_seed(0)
    model = AutoModelForQuestionAnswering.from_pretrained(path).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    batch = tokenizer(
        ["is the battery good?"] * 3,
        ["The battery lasts two days.", "Screen is fine. " * 40, "ok"],
        padding=True,
        return_tensors="pt",
    )
    return model, batch


def test_grouping_by_length_gives_the_models_own_logits(qa_model) -> None:
    model, batch = qa_model
    with torch.inference_mode():
        reference = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    fast = FastQAForward(model, "fp32")(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    mask = batch.attention_mask.bool()
    assert torch.allclose(fast.start_logits[mask], reference.start_logits[mask], atol=1e-4)
    assert torch.allclose(fast.end_logits[mask], reference.end_logits[mask], atol=1e-4)


@pytest.mark.parametrize("precision", ["bf16", "int8", "openvino"])
def test_lower_precision_stays_close_to_fp32(qa_model, precision: str) -> None:
    model, batch = qa_model
    exact = FastQAForward(model, "fp32")(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    approx = FastQAForward(model, precision)(input_ids=batch.input_ids, attention_mask=batch.attention_mask)  # type: ignore[arg-type]
    mask = batch.attention_mask.bool()
    correlation = torch.corrcoef(torch.stack([exact.start_logits[mask], approx.start_logits[mask]]))[0, 1]
    assert correlation > 0.9  # the F1 cost of each variant is measured by eval/bench_reader.py


def test_the_openvino_build_makes_no_network_call(qa_model, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    calls: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: calls.append(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: calls.append(address))
    model, batch = qa_model
    FastQAForward(model, "openvino")(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    assert calls == []


def test_unknown_precision_is_refused(qa_model) -> None:
    with pytest.raises(ValueError, match="Unknown reader precision"):
        FastQAForward(qa_model[0], "fp8")  # type: ignore[arg-type]


def test_the_int8_openvino_variant_is_written_beside_the_model_and_read_back(
    qa_model, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from qa.errors import ModelError
    from qa.readers.fast import OPENVINO_INT8_DIR, write_openvino_int8

    calls: list[object] = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: calls.append(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: calls.append(address))
    model, batch = qa_model
    windows = [
        {"input_ids": batch.input_ids[i : i + 1].numpy(), "attention_mask": batch.attention_mask[i : i + 1].numpy()}
        for i in range(3)
    ]
    with pytest.raises(ModelError, match="tune-reader"):
        FastQAForward(model, "openvino-int8", tmp_path)
    written = write_openvino_int8(model, tmp_path, windows * 4)
    assert written == tmp_path / OPENVINO_INT8_DIR / "model.xml" and written.with_suffix(".bin").is_file()
    exact = FastQAForward(model, "fp32")(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    int8 = FastQAForward(model, "openvino-int8", tmp_path)(
        input_ids=batch.input_ids, attention_mask=batch.attention_mask
    )
    mask = batch.attention_mask.bool()
    correlation = torch.corrcoef(torch.stack([exact.start_logits[mask], int8.start_logits[mask]]))[0, 1]
    assert correlation > 0.9
    assert calls == []  # NNCF and OpenVINO made no network call
