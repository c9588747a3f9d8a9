"""Reviews to Haystack Documents (and back), with deterministic document ids."""

from __future__ import annotations

import hashlib
import json

from haystack import Document

from qa.types import Review

#: Meta fields a review document always carries (None values are left out of the stored meta).
META_FIELDS = ("item_id", "review_id", "domain", "split", "title", "rating")


def review_document_id(review: Review) -> str:
    """A stable id from the review's text and identifying meta: indexing twice writes the same ids."""
    key = json.dumps([review.domain, review.split, review.item_id, review.review_id, review.text], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def review_to_document(review: Review) -> Document:
    """The Document written to a store for one review (content = review text)."""
    meta = {name: getattr(review, name) for name in META_FIELDS if getattr(review, name) is not None}
    return Document(id=review_document_id(review), content=review.text, meta=meta)


def document_to_review(document: Document) -> Review:
    """The project's Review for a stored Document."""
    meta = document.meta
    rating = meta.get("rating")
    return Review(
        item_id=str(meta.get("item_id", "")),
        text=document.content or "",
        review_id=meta.get("review_id"),
        domain=str(meta.get("domain", "custom")),
        split=meta.get("split"),
        title=meta.get("title"),
        rating=float(rating) if rating is not None else None,
    )
