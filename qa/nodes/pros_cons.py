"""Pros and cons of a product: the extractive reader asks aspect questions of ALL its reviews.

For each aspect question ("What is good about it?", "What are the complaints?", ...) the reader
reads every review given and returns its best spans. Spans the answer decision would not answer
with (each judged as the best span, `ReviewReader.span_verdicts`) are dropped, the rest are grouped by
normalised text (lowercase, no punctuation or articles, as SQuAD's metric normalises), and each
group is one pro or con with its support (how many distinct reviews said it) and its evidence.

An extractive reader fine-tuned on SubjQA finds opinion spans well but barely tells a question
about good points from one about complaints (see docs/readme-sections/nlp.md). With a
`sentiment` classifier given, a pro whose text reads negative, or a con whose text reads positive,
is dropped.
"""

from __future__ import annotations

from typing import Any, Literal

from haystack import Document, ExtractedAnswer, component, default_from_dict, default_to_dict
from haystack.core.serialization import component_to_dict

from indexer.documents import document_to_review
from qa.nodes.sentiment import SentimentClassifier
from qa.nodes.types import AspectAnswer, Evidence
from qa.readers.reader import ReviewReader
from qa.readers.squad import normalize_answer

PRO_QUESTIONS = ("What is good about it?", "What do people like about it?", "What are the best features?")
CON_QUESTIONS = ("What are the complaints?", "What is bad about it?", "What are the problems with it?")


@component
class ProsConsExtractor:
    """Read pros and cons out of reviews with an extractive reader and aggregate them.

    :param reader: the extractive reader that reads the aspect answers out of the reviews. Its
        answer decision judges each span, which needs the no-answer answer: with `no_answer=False`
        (not the default) no span is kept.
    :param pro_questions: the questions whose answers are pros (default None, or an empty list:
        PRO_QUESTIONS, "What is good about it?" and two more).
    :param con_questions: the questions whose answers are cons (default None, or an empty list:
        CON_QUESTIONS, "What are the complaints?" and two more).
    :param answers_per_question: the reader's `top_k` for each question: the most spans read per
        question over all the documents together (default 10), before the answer decision drops some.
    :param above_no_answer: True (default): keep only the spans the reader's answer decision would
        answer with (each judged as if it were the best span); False: keep every non-empty span.
    :param sentiment: a SentimentClassifier that checks each aggregated pro or con text: a pro it
        labels negative, or a con it labels positive, is dropped (neutral ones stay). Default None:
        no check.
    """

    def __init__(
        self,
        reader: ReviewReader,
        pro_questions: list[str] | None = None,
        con_questions: list[str] | None = None,
        answers_per_question: int = 10,
        above_no_answer: bool = True,
        sentiment: SentimentClassifier | None = None,
    ) -> None:
        self.reader = reader
        self.pro_questions = list(pro_questions or PRO_QUESTIONS)
        self.con_questions = list(con_questions or CON_QUESTIONS)
        self.answers_per_question = answers_per_question
        self.above_no_answer = above_no_answer
        self.sentiment = sentiment

    def warm_up(self) -> None:
        """Load the reader."""
        self.reader.warm_up()
        if self.sentiment is not None:
            self.sentiment.warm_up()

    def _spans(self, question: str, documents: list[Document]) -> list[ExtractedAnswer]:
        answers = self.reader.run(query=question, documents=documents, top_k=self.answers_per_question)["answers"]
        return [
            a
            for a, verdict in self.reader.span_verdicts(answers, documents)
            if a.data and a.document is not None and (not self.above_no_answer or verdict.answer)
        ]

    def _aggregate(self, kind: Literal["pro", "con"], questions: list[str], documents: list[Document]) -> list[Any]:
        groups: dict[str, list[tuple[str, ExtractedAnswer]]] = {}
        for question in questions:
            for answer in self._spans(question, documents):
                key = normalize_answer(answer.data or "")
                if key:
                    groups.setdefault(key, []).append((question, answer))
        results = []
        for found in groups.values():
            evidence: list[Evidence] = []
            seen: set[tuple[str | None, int | None]] = set()
            for question, answer in sorted(found, key=lambda qa: -qa[1].score):
                assert answer.document is not None
                offset = answer.document_offset
                place = (answer.document.id, offset.start if offset else None)
                if place in seen:
                    continue
                seen.add(place)
                evidence.append(
                    Evidence(
                        review=document_to_review(answer.document),
                        start=offset.start if offset else None,
                        end=offset.end if offset else None,
                        score=float(answer.score),
                        question=question,
                    )
                )
            best = max(found, key=lambda qa: qa[1].score)[1]
            support = len({e.review.review_id or e.review.text for e in evidence})
            results.append(
                AspectAnswer(
                    text=best.data or "", kind=kind, support=support, score=float(best.score), evidence=evidence
                )
            )
        if self.sentiment is not None and results:
            opposite = "negative" if kind == "pro" else "positive"
            labels = self.sentiment.classify([a.text for a in results])
            results = [a for a, s in zip(results, labels, strict=True) if s.label != opposite]
        return sorted(results, key=lambda a: (-a.support, -a.score))

    @component.output_types(pros=list[AspectAnswer], cons=list[AspectAnswer])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Pros and cons found in `documents`.

        :param documents: one product's reviews (all of them are read for every question; an empty
            list gives no pros and no cons).
        :returns: A dictionary with the following keys:
            - `pros`: AspectAnswers of kind "pro", one per distinct normalised answer text (lowercase,
              no punctuation or articles): `text` (the best-scored span of the group), `support` (how
              many distinct reviews said it), `score` (the best span's reader score) and `evidence`
              (each place it was read: review, character offsets, score, question; best first).
              Most supported first, then highest scored.
            - `cons`: the same for the con questions, kind "con".
        """
        if not documents:
            return {"pros": [], "cons": []}
        self.warm_up()
        return {
            "pros": self._aggregate("pro", self.pro_questions, documents),
            "cons": self._aggregate("con", self.con_questions, documents),
        }

    def to_dict(self) -> dict[str, Any]:
        """Serialise, with the reader nested."""
        return default_to_dict(
            self,
            reader=component_to_dict(self.reader, "reader"),
            pro_questions=self.pro_questions,
            con_questions=self.con_questions,
            answers_per_question=self.answers_per_question,
            above_no_answer=self.above_no_answer,
            sentiment=component_to_dict(self.sentiment, "sentiment") if self.sentiment is not None else None,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProsConsExtractor:
        """Deserialise (`default_from_dict` rebuilds the nested components through their `from_dict`)."""
        return default_from_dict(cls, data)
