"""RAG-Token is hub only: here we check that transformers still ships it and that the component serialises."""

from __future__ import annotations

from haystack import Document, Pipeline

from qa.nodes.rag_token import RagTokenGenerator


def test_transformers_still_ships_rag_token() -> None:
    from transformers import RagTokenForGeneration, RagTokenizer

    assert callable(RagTokenForGeneration.generate) and RagTokenizer is not None


def test_rag_token_component_builds_and_serialises_without_loading() -> None:
    pipeline = Pipeline()
    pipeline.add_component("rag", RagTokenGenerator(num_beams=2))
    restored = Pipeline.loads(pipeline.dumps(), allowed_modules=["qa.nodes", "qa.readers"]).get_component("rag")
    assert isinstance(restored, RagTokenGenerator)
    assert restored.model == "facebook/rag-token-nq" and restored.num_beams == 2
    assert restored.run(query="anything", documents=[]) == {"replies": [], "documents": []}
    assert Document is not None
