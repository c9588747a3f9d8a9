"""Hard negatives for retriever and reranker training: the reviews of the same product that BM25 ranks
highest for a question, among those that are not its own and contain none of its gold answers."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from haystack import Document
from haystack.document_stores.in_memory import InMemoryDocumentStore

from qa.stores.filters import review_filters
from qa.types import Review


class ReviewNegatives:
    """The reviews of one split in an in-memory BM25 store (BM25Okapi, as the embedded store ranks).

    :param reviews: the reviews negatives are drawn from.
    """

    def __init__(self, reviews: Sequence[Review]) -> None:
        self._by_id = {(r.item_id, r.review_id): r for r in reviews}
        self._store = InMemoryDocumentStore(bm25_algorithm="BM25Okapi")
        self._store.write_documents(
            [Document(content=r.text, meta={"item_id": r.item_id, "review_id": r.review_id}) for r in reviews]
        )

    def review(self, item_id: str, review_id: str) -> Review | None:
        """The review with these ids, if the split has it."""
        return self._by_id.get((item_id, review_id))

    def hard_negatives(
        self,
        question: str,
        item_id: str,
        *,
        exclude: Collection[str],
        answers: Collection[str],
        count: int = 1,
        other_products: bool = True,
        candidates: int = 10,
    ) -> list[str]:
        """Up to `count` review texts BM25 ranks highest for `question` that are not in `exclude` and
        contain none of `answers`: the product's own reviews first, then (with `other_products`) any
        review of the split when the product has too few.

        :param question: the question text (the BM25 query).
        :param item_id: the question's product.
        :param exclude: review texts that must not come back (the question's own reviews).
        :param answers: gold answer texts; a review containing one is not a negative.
        :param count: how many negatives at most.
        :param other_products: fall back to other products' reviews.
        :param candidates: BM25 results looked at per search.
        """
        found: list[str] = []
        scopes = (review_filters(item_id=item_id), None) if other_products else (review_filters(item_id=item_id),)
        for filters in scopes:
            for doc in self._store.bm25_retrieval(question, filters=filters, top_k=candidates):
                text = self._by_id[(doc.meta["item_id"], doc.meta["review_id"])].text
                if text in exclude or text in found or any(a and a in text for a in answers):
                    continue
                found.append(text)
                if len(found) == count:
                    return found
        return found
