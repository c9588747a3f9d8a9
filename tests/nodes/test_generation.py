"""SmolLM2 (packaged GGUF) generation grounded in real reviews, and the generative QA pipeline."""

from __future__ import annotations

import pytest
from haystack import Document
from haystack.components.builders import ChatPromptBuilder

from qa.api import ReviewQA
from qa.errors import QueryError
from qa.nodes.generator import LocalChatGenerator
from qa.nodes.types import Generation
from qa.pipelines.definitions import PIPELINES
from qa.pipelines.generative import PROMPT_TEMPLATE, is_no_answer
from qa.types import Review
from tests.nodes.conftest import CHROMECAST, SHUFFLE

SHUFFLE_REVIEW = "97845fdc36d1dfd131a5e70e9774caa2"  # "The battery holds the charge for 15 hours."


NO_ANSWER_REPLIES = (
    "I don't know.",
    "I do not know",
    "The reviews do not mention it.",
    "",
    "  ",
    None,
    "Not mentioned.",
    "You're right, I'm not sure.",
)


def test_no_answer_rule() -> None:
    for reply in NO_ANSWER_REPLIES:
        assert is_no_answer(reply), reply
    for reply in ("The battery lasts 15 hours.", "Yes, it works with Netflix.", "Know what? It is great."):
        assert not is_no_answer(reply), reply


def test_generator_answers_from_the_given_review(
    generator: LocalChatGenerator, electronics_reviews: dict[str, Review]
) -> None:
    review = electronics_reviews[SHUFFLE_REVIEW]
    assert "15 hours" in review.text
    prompt = ChatPromptBuilder(template=PROMPT_TEMPLATE).run(
        query="How long does the battery hold its charge?", documents=[Document(content=review.text)]
    )["prompt"]
    reply = generator.run(messages=prompt)["replies"][0]
    assert "15" in (reply.text or ""), reply.text
    assert reply.meta["usage"]["completion_tokens"] > 0


def test_generator_serialises_by_model_name() -> None:
    data = LocalChatGenerator(max_new_tokens=12).to_dict()
    assert data["init_parameters"]["model"] == "auto"  # not a site-packages path
    restored = LocalChatGenerator.from_dict(data)
    assert restored.model == "auto" and restored.max_new_tokens == 12


def test_generative_pipeline_is_registered_and_uses_only_the_products_reviews(nlp_api: ReviewQA) -> None:
    assert "generative" in PIPELINES
    result = nlp_api.ask("How long does the battery hold a charge?", item_id=SHUFFLE, mode="generative")
    assert result.reviews and all(r.review.item_id == SHUFFLE for r in result.reviews)
    assert result.best is not None and result.best.score == 0.0
    assert result.best.text is not None and "15" in result.best.text, result.best.text
    many = nlp_api.ask("Does it work with Netflix?", item_id=CHROMECAST, top_k_retriever=3, mode="generative")
    assert 1 <= len(many.reviews) <= 3 and all(r.review.item_id == CHROMECAST for r in many.reviews)
    with pytest.raises(QueryError):
        nlp_api.ask("Does it work?", item_id=CHROMECAST, mode="poetic")  # type: ignore[arg-type]


def test_free_generation_about_a_product(nlp_api: ReviewQA) -> None:
    generation = nlp_api.analyze(SHUFFLE, "generate", text="What do buyers use it for?")
    assert isinstance(generation, Generation)
    assert generation.text.strip() and [r.item_id for r in generation.reviews] == [SHUFFLE]
