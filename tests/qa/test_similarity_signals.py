"""The sentence encoder's signals for the answer decision (qa.readers.similarity_signals)."""

from __future__ import annotations

from pathlib import Path

import pytest
from haystack import Document, ExtractedAnswer

from qa.config import Settings
from qa.readers.model_files import packaged_minilm_dir
from qa.readers.reader import ReviewReader
from qa.readers.similarity_signals import QuestionSimilarity, sentence_around, span_context

REVIEW = "Shipping took a week. The battery lasts ten hours!\nThe case feels cheap"


def test_the_sentence_around_a_span_ends_at_punctuation_and_line_breaks() -> None:
    start = REVIEW.index("ten hours")
    assert sentence_around(REVIEW, start, start + len("ten hours")) == "The battery lasts ten hours!"
    last = REVIEW.index("cheap")
    assert sentence_around(REVIEW, last, last + 5) == "The case feels cheap"
    assert sentence_around("no punctuation here", 3, 7) == "no punctuation here"


def test_span_context_uses_the_offset_or_finds_the_span() -> None:
    review = Document(content=REVIEW)
    start = REVIEW.index("battery")
    located = ExtractedAnswer(
        query="q", score=0.9, data="battery", document=review, document_offset=ExtractedAnswer.Span(start, start + 7)
    )
    assert span_context(located) == ("battery", "The battery lasts ten hours!", REVIEW)
    found = ExtractedAnswer(query="q", score=0.9, data="case feels cheap", document=review)
    assert span_context(found)[1] == "The case feels cheap"
    alone = ExtractedAnswer(query="q", score=0.9, data="cheap", document=None)
    assert span_context(alone) == ("cheap", "cheap", "cheap")


def test_a_span_about_the_question_is_more_similar_than_one_that_is_not() -> None:
    similarity = QuestionSimilarity(str(packaged_minilm_dir()))
    similarity.warm_up()
    review = Document(content=REVIEW)
    battery = ExtractedAnswer(query="q", score=0.9, data="ten hours", document=review)
    shipping = ExtractedAnswer(query="q", score=0.9, data="a week", document=review)
    no_answer = ExtractedAnswer(query="q", score=0.1, data=None)
    scores = similarity.scores("How long does the battery last?", [battery, no_answer, shipping])
    assert len(scores) == 2 and all(-1.0 <= value <= 1.0 for triple in scores for value in triple)
    (_, battery_sentence, review_score), (_, shipping_sentence, same_review) = scores
    assert battery_sentence > shipping_sentence and abs(review_score - same_review) < 1e-6
    assert similarity.scores("anything?", [no_answer]) == []
    # Embedded apart from the long review, the short texts get the cosines they get each alone.
    texts = ("How long does the battery last?", "ten hours", "The battery lasts ten hours!", REVIEW)
    alone = [similarity.embed([text])[0] for text in texts]
    expected = tuple(float(alone[0] @ vector) for vector in alone[1:])
    assert all(abs(a - b) < 1e-5 for a, b in zip(scores[0], expected, strict=True))


def test_each_review_is_embedded_once_across_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    similarity = QuestionSimilarity(str(packaged_minilm_dir()), cached_reviews=8)
    similarity.warm_up()
    embedded: list[str] = []
    plain = similarity.embed
    monkeypatch.setattr(similarity, "embed", lambda texts: embedded.extend(texts) or plain(texts))
    review = Document(content=REVIEW)
    spans = [ExtractedAnswer(query="q", score=0.9, data=text, document=review) for text in ("ten hours", "a week")]
    first = similarity.scores("How long does the battery last?", spans)
    again = similarity.scores("Does the battery last?", spans[:1])
    assert embedded.count(REVIEW) == 1 and len(first) == 2 and len(again) == 1


def test_the_reader_adds_the_cosines_to_its_signals(tiny_reader_dir: Path) -> None:
    reader = ReviewReader(model=str(tiny_reader_dir), similarity_model=str(packaged_minilm_dir()))
    reader.warm_up()
    documents = [Document(content=REVIEW, score=3.0)]
    answers = reader.run(query="How long does the battery last?", documents=documents, top_k=2)["answers"]
    signals = next(a for a in answers if a.data is None).meta["signals"]
    assert all(-1.0 <= signals[name] <= 1.0 for name in ("span_similarity", "sentence_similarity", "review_similarity"))
    verdicts = reader.span_verdicts(answers, documents)
    assert verdicts and all(0.0 <= verdict.probability <= 1.0 for _, verdict in verdicts)
    assert reader.to_dict()["init_parameters"]["similarity_model"] == str(packaged_minilm_dir())
    plain = ReviewReader(model=str(tiny_reader_dir))
    plain.warm_up()
    answers = plain.run(query="How long does the battery last?", documents=documents, top_k=1)["answers"]
    assert next(a for a in answers if a.data is None).meta["signals"]["span_similarity"] is None


def test_build_reader_loads_the_encoder_only_where_it_is_read(qa_settings: Settings) -> None:
    from dataclasses import replace

    from qa.pipelines.definitions import build_reader
    from qa.readers.decision import AnswerDecision, reads_similarity

    assert build_reader(qa_settings, all_signals=True).similarity_model == str(packaged_minilm_dir())
    reader = build_reader(qa_settings)
    fitted = AnswerDecision.from_dict(reader.decision) if reader.decision is not None else None
    assert (reader.similarity_model is not None) == reads_similarity(fitted)
    off = qa_settings.with_overrides(reader=replace(qa_settings.reader, similarity_model="none"))
    assert build_reader(off, all_signals=True).similarity_model is None


def test_a_fitted_decision_gets_the_cosines_of_the_encoder_it_was_fitted_with(
    qa_settings: Settings, tiny_reader_dir: Path, tmp_path: Path
) -> None:
    import shutil
    from dataclasses import replace

    from qa.config import NO_RERANKER
    from qa.errors import ModelError
    from qa.pipelines.definitions import build_reader
    from qa.readers.decision import AnswerDecision
    from qa.readers.training import store_decision

    model = tmp_path / "reader"
    shutil.copytree(tiny_reader_dir, model)
    encoder = str(packaged_minilm_dir())
    reads_cosines = AnswerDecision(
        coefficients=(1.0, 2.0), intercept=0.0, features=("gap", "span_similarity"), mean=(0.0, 0.0), scale=(1.0, 1.0)
    )
    # Configured now: no encoder. The decision names the one it was fitted with, so the reader loads that one.
    settings = qa_settings.with_overrides(reader=replace(qa_settings.reader, model=str(model), similarity_model="none"))
    store_decision(model, NO_RERANKER, replace(reads_cosines, similarity_model=encoder).to_dict(), {})
    assert build_reader(settings).similarity_model == encoder
    assert build_reader(settings, all_signals=True).similarity_model is None  # fitting uses the configured one
    # A decision that records no encoder and none configured: one clear error, not cosines of 0.
    store_decision(model, NO_RERANKER, reads_cosines.to_dict(), {})
    with pytest.raises(ModelError, match="records no encoder"):
        build_reader(settings)
    configured = settings.with_overrides(reader=replace(settings.reader, similarity_model=encoder))
    assert build_reader(configured).similarity_model == encoder
    # A decision without cosines loads no encoder.
    store_decision(model, NO_RERANKER, AnswerDecision.from_boost(0.5).to_dict(), {})
    assert build_reader(configured).similarity_model is None


def test_fitting_a_decision_records_its_encoder(tiny_reader_dir: Path) -> None:
    from qa.readers.decision import AnswerDecision, reads_similarity
    from qa.readers.model_files import read_reader_info

    decision = AnswerDecision.from_dict(read_reader_info(str(tiny_reader_dir))["extra"]["answer_decision"])
    expected = Settings().reader.similarity_model if reads_similarity(decision) else None
    assert decision.similarity_model == expected
