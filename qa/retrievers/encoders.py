"""Haystack embedder components for an `Encoder`: sentence-transformers or transformers DPR checkpoints.

Sentence-transformers models (MiniLM, MPNet, the DPR encoders `reviewqa train-retriever` trains) go
through Haystack's SentenceTransformers{Text,Document}Embedder; `encode_kwargs={"task": ...}` routes
a model with a `Router` module (separate question and review encoders) and is ignored by others.

facebook/dpr-*-single-nq-base are transformers `DPRQuestionEncoder` / `DPRContextEncoder`
checkpoints: loaded through sentence-transformers' AutoModel they would get the wrong class (the
context encoder's weights would not load), so two small components here load the right class and
return its pooler output (the [CLS] vector), as DPR was trained.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import Document, component
from haystack.utils import ComponentDevice
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
    SentenceTransformersTextEmbedder,
)
from tqdm.auto import tqdm

from qa.config import Settings
from qa.device import resolve_device
from qa.hub import require_hub_model
from qa.retrievers.encoder_models import Encoder

#: Longest review (in tokens) the DPR checkpoints read; longer text is truncated.
DPR_MAX_LENGTH = 256


def _device(settings: Settings) -> ComponentDevice:
    return ComponentDevice.from_str(resolve_device(settings.device))


def _load_dpr(class_name: str, model: str, device: str) -> tuple[Any, Any]:
    """Tokenizer and encoder (in eval mode, on `device`) of a transformers DPR checkpoint."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(model)
    encoder: Any = getattr(transformers, class_name).from_pretrained(model)
    return tokenizer, encoder.to(device).eval()


@component
class DPRTextEmbedder:
    """Embeds a question with a transformers DPRQuestionEncoder checkpoint (pooler output).

    :param model: the transformers DPRQuestionEncoder checkpoint, a hub id (e.g.
        "facebook/dpr-question_encoder-single-nq-base") or a local folder; loaded in `warm_up` (or
        the first `run`).
    :param device: the torch device string it runs on, e.g. "cpu" (default) or "cuda:0".
    :param max_length: the longest question, in tokens; longer ones are truncated (default 256,
        DPR_MAX_LENGTH).
    """

    def __init__(self, model: str, device: str = "cpu", max_length: int = DPR_MAX_LENGTH) -> None:
        self.model = model
        self.device = device
        self.max_length = max_length
        self._encoder: Any = None
        self._tokenizer: Any = None

    def warm_up(self) -> None:
        """Load the encoder and tokenizer (once)."""
        if self._encoder is None:
            self._tokenizer, self._encoder = _load_dpr("DPRQuestionEncoder", self.model, self.device)

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        """Embed one question.

        :param text: the question to embed.
        :returns: A dictionary with the following key:
            - `embedding`: the question's vector, the encoder's pooler output ([CLS]; 768 floats for
              the base checkpoints), not normalised.
        """
        import torch

        self.warm_up()
        batch = self._tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="pt")
        with torch.inference_mode():
            output = self._encoder(**batch.to(self.device)).pooler_output
        return {"embedding": output[0].float().cpu().tolist()}


@component
class DPRDocumentEmbedder:
    """Embeds reviews with a transformers DPRContextEncoder checkpoint (pooler output), in batches.

    :param model: the transformers DPRContextEncoder checkpoint, a hub id (e.g.
        "facebook/dpr-ctx_encoder-single-nq-base") or a local folder; loaded in `warm_up` (or the
        first `run`).
    :param device: the torch device string it runs on, e.g. "cpu" (default) or "cuda:0".
    :param batch_size: the number of reviews per forward pass (default 32).
    :param progress_bar: True (default): show a tqdm progress bar, counted in reviews, while
        embedding; False: none.
    :param max_length: the longest review, in tokens; longer ones are truncated (default 256,
        DPR_MAX_LENGTH).
    """

    def __init__(
        self,
        model: str,
        device: str = "cpu",
        batch_size: int = 32,
        progress_bar: bool = True,
        max_length: int = DPR_MAX_LENGTH,
    ) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.progress_bar = progress_bar
        self.max_length = max_length
        self._encoder: Any = None
        self._tokenizer: Any = None

    def warm_up(self) -> None:
        """Load the encoder and tokenizer (once)."""
        if self._encoder is None:
            self._tokenizer, self._encoder = _load_dpr("DPRContextEncoder", self.model, self.device)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Embed reviews.

        :param documents: the reviews to embed (their `content`; a document without content is
            embedded as the empty text).
        :returns: A dictionary with the following key:
            - `documents`: copies of the input documents, in the same order, each with `embedding` set
              to the encoder's pooler output ([CLS]; 768 floats for the base checkpoints), not
              normalised.
        """
        import torch

        self.warm_up()
        out: list[Document] = []
        with tqdm(total=len(documents), desc="Embedding", unit="review", disable=not self.progress_bar) as bar:
            for start in range(0, len(documents), self.batch_size):
                chunk = documents[start : start + self.batch_size]
                batch = self._tokenizer(
                    [d.content or "" for d in chunk],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                with torch.inference_mode():
                    vectors = self._encoder(**batch.to(self.device)).pooler_output.float().cpu().tolist()
                out.extend(replace(d, embedding=v) for d, v in zip(chunk, vectors, strict=True))
                bar.update(len(chunk))
        return {"documents": out}


def text_embedder(encoder: Encoder, settings: Settings) -> Any:
    """A component `text: str -> embedding` for questions."""
    device = _device(settings)
    if not encoder.is_local:
        require_hub_model(encoder.name_or_path, "question encoder")
    if encoder.family == "dpr":
        return DPRTextEmbedder(model=encoder.name_or_path, device=device.to_torch_str())
    return SentenceTransformersTextEmbedder(
        model=encoder.name_or_path,
        device=device,
        progress_bar=False,
        local_files_only=encoder.is_local,
        encode_kwargs={"task": encoder.task},
    )


def document_embedder(encoder: Encoder, settings: Settings, *, progress: bool = True) -> Any:
    """A component `documents -> documents with embedding` for reviews."""
    device = _device(settings)
    if not encoder.is_local:
        require_hub_model(encoder.name_or_path, "review encoder")
    if encoder.family == "dpr":
        return DPRDocumentEmbedder(
            model=encoder.name_or_path,
            device=device.to_torch_str(),
            batch_size=settings.store.embed_batch_size,
            progress_bar=progress,
        )
    return SentenceTransformersDocumentEmbedder(
        model=encoder.name_or_path,
        device=device,
        batch_size=settings.store.embed_batch_size,
        progress_bar=progress,
        local_files_only=encoder.is_local,
        encode_kwargs={"task": encoder.task},
    )
