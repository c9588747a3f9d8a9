"""Review consensus: ask every review of a product one question and group what they say.

1. **Read.** The extractive reader reads all the reviews in one batched run; each review's best span
   is judged by the answer decision as if it were the best span (`ReviewReader.span_verdicts`, the
   same judgement pros and cons use). A review *mentions* the question when that probability
   reaches `mention_threshold`.
2. **Feel.** Each quote's sentiment is the span's (the sentiment component: VADER offline); a span
   without any ("10 hours") takes that of the sentence(s) holding it.
3. **Group.** Quotes are embedded with a sentence-transformers model (Haystack's document embedder;
   the packaged all-MiniLM-L6-v2 by default) and grouped by average-linkage agglomerative clustering
   on cosine distance (scipy), cut at `distance_threshold`: quotes that say the same thing in other
   words end up together. Groups are ordered by how many reviews they hold, then by their summed
   probability; each group's first quote is its medoid (the quote closest to the others).
4. **Name.** The question's subject for the summary sentence ("the battery") is its first noun chunk
   from a spaCy pipeline, when one is given; pronouns do not count.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, ExtractedAnswer, component

from qa.nodes.sentiment import SentimentClassifier
from qa.nodes.summarizer import split_sentences
from qa.readers.answers import to_answer
from qa.readers.decision import Verdict
from qa.readers.reader import ReviewReader
from qa.types import Answer, ConsensusGroup, ConsensusQuote

#: Chosen on electronics dev with `python -m eval.consensus --split dev` (docs in the README).
DEFAULT_MENTION_THRESHOLD = 0.5
DEFAULT_DISTANCE_THRESHOLD = 0.7
#: Possessives replaced by "the" when the subject is named ("my screen" -> "the screen").
_POSSESSIVES = {"my", "your", "our", "his", "her", "their", "its"}


@component
class ReviewConsensus:
    """Read one question out of many reviews of a product and group the answers by meaning.

    :param reader: the extractive reader (its answer decision needs the no-answer answer, the default).
    :param sentiment: the classifier of each quote's sentence (`SentimentClassifier`).
    :param embedder: a Haystack document embedder (`documents -> documents with embedding`) of a
        sentence-transformers model, used to compare quotes.
    :param mention_threshold: a review mentions the question when its best span's decision
        probability reaches this (default DEFAULT_MENTION_THRESHOLD, chosen on dev; the reader's own
        answer threshold is 0.5).
    :param distance_threshold: the cosine distance at which the average-linkage clustering stops
        merging groups (default DEFAULT_DISTANCE_THRESHOLD: 0 keeps identical quotes only, 2 merges all).
    :param spans_per_review: the reader's `top_k` is this times the number of reviews, so that most
        reviews get spans to choose their best one from (default 3).
    :param topic_model: a spaCy package or folder whose noun chunks name the question's subject
        (default None: no subject; the summary sentence then says "answer this").
    """

    def __init__(
        self,
        reader: ReviewReader,
        sentiment: SentimentClassifier,
        embedder: Any,
        mention_threshold: float = DEFAULT_MENTION_THRESHOLD,
        distance_threshold: float = DEFAULT_DISTANCE_THRESHOLD,
        spans_per_review: int = 3,
        topic_model: str | None = None,
    ) -> None:
        self.reader = reader
        self.sentiment = sentiment
        self.embedder = embedder
        self.mention_threshold = mention_threshold
        self.distance_threshold = distance_threshold
        self.spans_per_review = spans_per_review
        self.topic_model = topic_model
        self._spacy: Any = None

    def warm_up(self) -> None:
        """Load the reader, the sentiment classifier, the embedder and the spaCy pipeline (once)."""
        self.reader.warm_up()
        self.sentiment.warm_up()
        if hasattr(self.embedder, "warm_up"):
            self.embedder.warm_up()
        if self.topic_model is not None and self._spacy is None:
            import spacy

            self._spacy = spacy.load(self.topic_model, exclude=["ner", "lemmatizer"])

    # -- steps ---------------------------------------------------------------------------------------
    def topic(self, query: str) -> str | None:
        """The question's subject: its first noun chunk that is not a pronoun ("the battery"), or None."""
        if self._spacy is None:
            return None
        for chunk in self._spacy(query).noun_chunks:
            if chunk.root.pos_ == "PRON":
                continue
            words = [t.text for t in chunk]
            if words[0].lower() in _POSSESSIVES:
                words[0] = "the"
            elif words[0] in ("The", "A", "An"):
                words[0] = words[0].lower()
            return " ".join(words)
        return None

    def best_spans(self, query: str, documents: list[Document]) -> list[tuple[ExtractedAnswer, Verdict]]:
        """Each review's most probable span with its verdict, in review (retrieval) order; reviews
        without a span are left out. Nothing is filtered by the mention threshold yet."""
        answers = self.reader.run(query=query, documents=documents, top_k=self.spans_per_review * len(documents))
        best: dict[str, tuple[ExtractedAnswer, Verdict]] = {}
        for answer, verdict in self.reader.span_verdicts(answers["answers"], documents):
            if answer.document is None:
                continue
            kept = best.get(answer.document.id)
            if kept is None or verdict.probability > kept[1].probability:
                best[answer.document.id] = (answer, verdict)
        return [best[d.id] for d in documents if d.id in best]

    def candidates(self, spans: list[tuple[ExtractedAnswer, Verdict]]) -> list[ConsensusQuote]:
        """Every review's best span as a quote with its probability and sentiment (see the module docstring)."""
        kept = [(a, v) for a, v in spans if a.document is not None]
        if not kept:
            return []
        answers = [to_answer(a) for a, _ in kept]
        sentiments = self.sentiment.classify([answer.text or "" for answer in answers])
        neutral = [i for i, s in enumerate(sentiments) if s.label == "neutral"]
        if neutral:  # a span without sentiment of its own ("10 hours"): its sentence decides
            around = self.sentiment.classify([_sentences_around(answers[i]) for i in neutral])
            for i, sentiment in zip(neutral, around, strict=True):
                sentiments[i] = sentiment
        return [
            ConsensusQuote(
                answer=answer,
                probability=verdict.probability,
                sentiment=s.label,
                polarity=s.polarity,
                answers=verdict.answer,
                words=verdict.words,
            )
            for answer, (_, verdict), s in zip(answers, kept, sentiments, strict=True)
        ]

    def group(
        self,
        candidates: list[ConsensusQuote],
        mention_threshold: float | None = None,
        distance_threshold: float | None = None,
    ) -> list[ConsensusGroup]:
        """The candidates that mention the question, grouped by meaning, largest group first.

        The thresholds default to the component's own (`mention_threshold`, `distance_threshold`).
        """
        mention = self.mention_threshold if mention_threshold is None else mention_threshold
        quotes = [q for q in candidates if q.probability >= mention]
        if not quotes:
            return []
        import numpy as np

        embedded = self.embedder.run(documents=[Document(content=q.answer.text or "") for q in quotes])["documents"]
        vectors = np.array([d.embedding for d in embedded], dtype=float)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        distance = self.distance_threshold if distance_threshold is None else distance_threshold
        labels = cluster_labels(vectors, distance)
        similarity = vectors @ vectors.T
        groups = []
        for label in sorted(set(labels)):
            members = [i for i, found in enumerate(labels) if found == label]
            centrality = {i: float(similarity[i, members].mean()) for i in members}
            ordered = sorted(members, key=lambda i: (-centrality[i], -quotes[i].probability))
            groups.append(ConsensusGroup(quotes=[quotes[i] for i in ordered]))
        return sorted(groups, key=lambda g: (-g.reviews, -sum(q.probability for q in g.quotes)))

    @component.output_types(groups=list[ConsensusGroup], candidates=list[ConsensusQuote], topic=str | None)
    def run(self, query: str, documents: list[Document]) -> dict[str, Any]:
        """Ask `query` of every document and group what the mentioning ones say.

        :param query: the question, about the product the documents review.
        :param documents: the reviews to read, each once, best-matching first (their order and
            retrieval scores are signals of the answer decision).
        :returns: A dictionary with the following keys:
            - `groups`: ConsensusGroups, largest first; each holds ConsensusQuotes (the span as an
              `Answer` with its review and offsets, the decision probability, the sentiment label and
              polarity), its medoid first. Empty when no review mentions it.
            - `candidates`: every review's best span as a ConsensusQuote, mentioning or not, in
              review order (reviews where the reader found no span at all are not in it).
            - `topic`: the question's subject ("the battery"), or None.
        """
        self.warm_up()
        candidates = self.candidates(self.best_spans(query, documents)) if documents else []
        return {"groups": self.group(candidates), "candidates": candidates, "topic": self.topic(query)}


def cluster_labels(vectors: Any, distance_threshold: float) -> list[int]:
    """Group labels of unit vectors: average-linkage agglomerative clustering on cosine distance, cut at
    `distance_threshold` (scipy). One vector is one group."""
    if len(vectors) == 1:
        return [1]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = pdist(vectors, metric="cosine").clip(min=0.0)
    return [int(label) for label in fcluster(linkage(distances, method="average"), distance_threshold, "distance")]


def _sentences_around(answer: Answer) -> str:
    """The sentence(s) of the review that overlap the answer span (the span itself without offsets)."""
    if answer.review is None or answer.start is None or answer.end is None:
        return answer.text or ""
    text = answer.review.text
    start, end = answer.start, answer.end
    parts = [text[s:e] for s, e in split_sentences(text) if s < end and e > start]
    return " ".join(parts) or (answer.text or "")
