"""The embed step: batches, only missing or stale embeddings, the encoder recorded in meta."""

from __future__ import annotations

from pathlib import Path

from indexer.write import write_reviews
from qa.api import ReviewQA
from qa.config import Settings
from qa.retrievers.embedding_step import EMBEDDING_MODEL_FIELD
from qa.types import Review


def test_reindex_does_not_recompute_and_switching_model_does(
    tmp_path: Path, review_slice: list[Review], tiny_dpr_dir: Path
) -> None:
    reviews = review_slice[:6]
    api = ReviewQA(Settings(data_dir=tmp_path, retriever="embedding", device="cpu"))
    write_reviews(api.store, reviews[:4], progress=False)
    first = api.embed(progress=False)
    assert first is not None and (first.embedded, first.already_embedded) == (4, 0)
    identity = first.model
    assert "all-MiniLM-L6-v2" in identity or "model" in identity
    stored = {d.id: d for d in api.store.filter_documents()}
    assert all(d.meta[EMBEDDING_MODEL_FIELD] == identity and d.embedding for d in stored.values())

    # Re-indexing the same reviews plus two new ones: only the new ones are embedded, old vectors kept.
    again = ReviewQA(Settings(data_dir=tmp_path, retriever="embedding", device="cpu"))
    report = write_reviews(again.store, reviews, progress=False)
    assert (report.written, report.already_present) == (2, 4)
    second = again.embed(progress=False)
    assert second is not None and (second.embedded, second.already_embedded) == (2, 4)
    after = {d.id: d for d in again.store.filter_documents()}
    assert all(after[i].embedding == stored[i].embedding for i in stored)
    assert again.embed(progress=False).embedded == 0  # type: ignore[union-attr]

    # Another encoder: every review is re-embedded and labelled with it.
    dpr = ReviewQA(
        Settings(
            data_dir=tmp_path,
            retriever="dpr",
            dpr_query_model=str(tiny_dpr_dir),
            dpr_document_model=str(tiny_dpr_dir),
            device="cpu",
        )
    )
    third = dpr.embed(progress=False)
    assert third is not None and third.embedded == 6 and third.model != identity
    assert {d.meta[EMBEDDING_MODEL_FIELD] for d in dpr.store.filter_documents()} == {third.model}


def test_bm25_needs_no_embeddings(tmp_path: Path) -> None:
    assert ReviewQA(Settings(data_dir=tmp_path)).embed(progress=False) is None
