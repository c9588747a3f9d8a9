"""A short summary of one product's reviews.

Offline ("extractive"): the reviews are split into sentences with a small regular expression
(nltk's punkt tokenizer would try to download its data), each sentence is embedded with the
packaged all-MiniLM-L6-v2, and the most *central* sentences are kept: highest mean cosine
similarity to all the other sentences (degree centrality, as in LexRank), skipping near-duplicates
of sentences already chosen. Every sentence is a verbatim slice of one review.

Online (a hub id such as `sshleifer/distilbart-cnn-12-6`): an encoder-decoder summarization model
run with `generate` on the concatenated reviews (transformers 5 has no `summarization` pipeline).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.utils import ComponentDevice

from qa.config import PACKAGED_MINILM
from qa.errors import ModelError

EXTRACTIVE = "extractive"
# A sentence: from a non-space character up to a run of . ! ? (and closing quotes or brackets)
# followed by whitespace or by a capitalised word (reviews often lack the space: "it.For"), or up
# to a line break, or to the end of the text.
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+[\"')\]]*(?=\s|[A-Z][a-z])|(?=\n)|\Z)", re.DOTALL)


def split_sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of `text`; `text[start:end]` is the sentence, stripped."""
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end


@component
class ReviewSummarizer:
    """Summarise a set of reviews (one product's) into a few sentences.

    Models load in `warm_up` (called by the pipeline, or by the first `run`); `__init__` only stores
    the settings.

    :param model: "extractive" (default: the most central review sentences by sentence embeddings,
        offline) or a transformers encoder-decoder summarization model (hub id or local folder,
        loaded with `AutoModelForSeq2SeqLM`) that writes the summary from the concatenated reviews
        (truncated to 1024 tokens; beam search of 4, at most 120 new tokens).
    :param sentences: the most sentences an extractive summary keeps (default 3; fewer when fewer
        sentences qualify). Ignored by a summarization model.
    :param embedding_model: the sentence-transformers encoder of the extractive summary:
        "packaged:all-MiniLM-L6-v2" (default, shipped on PyPI, offline), a local model folder (with a
        config.json) or a hub id. Ignored by a summarization model.
    :param min_words: sentences with fewer whitespace-separated words are never chosen (default 5;
        extractive only).
    :param max_chars: sentences longer than this many characters are never chosen (default 300;
        extractive only).
    :param redundancy: cosine similarity (-1..1) at or above which a sentence counts as a duplicate of
        one already chosen and is skipped (default 0.85; lower skips more, above 1.0 skips none;
        extractive only).
    :param device: the device the encoder or the summarization model runs on (default None:
        Haystack's default device, a GPU when one is available, else the CPU).
    """

    def __init__(
        self,
        model: str = EXTRACTIVE,
        sentences: int = 3,
        embedding_model: str = PACKAGED_MINILM,
        min_words: int = 5,
        max_chars: int = 300,
        redundancy: float = 0.85,
        device: ComponentDevice | None = None,
    ) -> None:
        self.model = model
        self.sentences = sentences
        self.embedding_model = embedding_model
        self.min_words = min_words
        self.max_chars = max_chars
        self.redundancy = redundancy
        self.device = ComponentDevice.resolve_device(device)
        self._encoder: Any = None
        self._tokenizer: Any = None

    def warm_up(self) -> None:
        """Load the sentence encoder (extractive) or the summarization model (once)."""
        if self._encoder is not None:
            return
        if self.model == EXTRACTIVE:
            from sentence_transformers import SentenceTransformer

            from qa.hub import require_hub_model
            from qa.readers.model_files import resolve_model

            encoder = resolve_model(self.embedding_model).name_or_path
            require_hub_model(encoder, "summary encoder")  # one clear line when a hub name cannot be fetched
            self._encoder = SentenceTransformer(encoder, device=self.device.to_torch_str())
            return
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        from qa.hub import require_hub_model

        require_hub_model(self.model, "summarization model")
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model)
            self._encoder = AutoModelForSeq2SeqLM.from_pretrained(self.model).to(self.device.to_torch()).eval()
        except (OSError, ValueError) as error:
            raise ModelError(f"Cannot load the summarization model {self.model!r}: {error}") from error

    def _candidates(self, documents: list[Document]) -> list[Document]:
        candidates = []
        for index, document in enumerate(documents):
            text = document.content or ""
            for start, end in split_sentences(text):
                sentence = text[start:end]
                if len(sentence.split()) < self.min_words or len(sentence) > self.max_chars:
                    continue
                meta = {"source_index": index, "source_id": document.id, "start": start, "end": end}
                candidates.append(Document(content=sentence, meta={**document.meta, **meta}))
        return candidates

    def _extractive(self, documents: list[Document]) -> list[Document]:
        candidates = self._candidates(documents)
        if not candidates:
            return []
        embeddings = self._encoder.encode(
            [c.content for c in candidates], normalize_embeddings=True, convert_to_numpy=True
        )
        similarity = embeddings @ embeddings.T
        n = len(candidates)
        centrality = (similarity.sum(axis=1) - 1.0) / max(n - 1, 1)
        chosen: list[int] = []
        for i in sorted(range(n), key=lambda i: -float(centrality[i])):
            if any(float(similarity[i, j]) >= self.redundancy for j in chosen):
                continue
            chosen.append(i)
            if len(chosen) == self.sentences:
                break
        return [
            Document(content=candidates[i].content, meta={**candidates[i].meta, "centrality": float(centrality[i])})
            for i in chosen
        ]

    def _abstractive(self, documents: list[Document]) -> str:
        import torch

        text = "\n".join(d.content or "" for d in documents)
        inputs = self._tokenizer(text, return_tensors="pt", truncation=True, max_length=1024)
        inputs = {k: v.to(self.device.to_torch()) for k, v in inputs.items()}
        with torch.inference_mode():
            output = self._encoder.generate(**inputs, max_new_tokens=120, num_beams=4)
        return str(self._tokenizer.decode(output[0], skip_special_tokens=True)).strip()

    @component.output_types(summary=str, sentences=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """Summarise `documents`.

        :param documents: the reviews to summarise, usually all of one product's (an empty list gives
            an empty summary).
        :returns: A dictionary with the following keys:
            - `summary`: the summary text (for the extractive model, the chosen sentences joined by
              spaces, most central first; "" when nothing qualifies).
            - `sentences`: for the extractive model, the chosen sentences, each a Document whose
              `content` is a verbatim slice of one review and whose `meta` holds that review's meta plus
              `source_index` and `source_id` (which input document), `start`/`end` (character offsets
              in that review) and `centrality` (mean cosine similarity to the other candidate
              sentences); empty for a summarization model.
        """
        self.warm_up()
        if self.model != EXTRACTIVE:
            return {"summary": self._abstractive(documents) if documents else "", "sentences": []}
        sentences = self._extractive(documents)
        return {"summary": " ".join(s.content or "" for s in sentences), "sentences": sentences}

    def to_dict(self) -> dict[str, Any]:
        """Serialise."""
        return default_to_dict(
            self,
            model=self.model,
            sentences=self.sentences,
            embedding_model=self.embedding_model,
            min_words=self.min_words,
            max_chars=self.max_chars,
            redundancy=self.redundancy,
            device=self.device.to_dict(),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewSummarizer:
        """Deserialise (`default_from_dict` restores the ComponentDevice)."""
        return default_from_dict(cls, data)
