"""The book's RAG-Token generator (`facebook/rag-token-nq`) over the project's retrieved reviews. Hub only.

transformers 5.23 still ships `RagTokenForGeneration`. Its own `RagRetriever` searches a Wikipedia
DPR index (tens of GB), so this component does what Haystack 1.x's `RAGenerator` did: it takes the
reviews our retriever found, scores them against the question with RAG's question encoder and a
DPR passage encoder (`doc_scores`), builds RAG's contextualised inputs
(`title / text // question`), and lets RAG-Token marginalise over the reviews token by token.

Not testable here: the weights exist only on the model hub (no PyPI package ships them), so the
offline tests only build and serialise this component; it is loaded on first `run` by users who
are online.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.utils import ComponentDevice

from qa.errors import ModelError
from qa.nodes.packaged_models import HUB_RAG_TOKEN

HUB_PASSAGE_ENCODER = "facebook/dpr-ctx_encoder-single-nq-base"


@component
class RagTokenGenerator:
    """Generate an answer with RAG-Token, marginalising over the given documents.

    :param model: the RAG-Token checkpoint, a hub id or local folder (default
        "facebook/rag-token-nq", on the model hub only): its question encoder embeds the query and its
        generator writes the answer. Loaded in `warm_up` (or the first `run`).
    :param passage_encoder: the transformers DPRContextEncoder checkpoint, hub id or local folder,
        that embeds each document (title and text, truncated to 256 tokens) so that its dot product
        with the question's embedding weights it in RAG's marginalisation (default
        "facebook/dpr-ctx_encoder-single-nq-base").
    :param device: the device both models run on (default None: Haystack's default device, a GPU
        when one is available, else the CPU).
    :param max_new_tokens: the most tokens in the generated answer (default 50).
    :param num_beams: the beam search width of the generation (default 4; 1 is greedy).
    :param max_combined_length: the length, in generator tokens, of each document's contextualised
        input "title / text // question", truncated or padded to it (default 300).
    """

    def __init__(
        self,
        model: str = HUB_RAG_TOKEN,
        passage_encoder: str = HUB_PASSAGE_ENCODER,
        device: ComponentDevice | None = None,
        max_new_tokens: int = 50,
        num_beams: int = 4,
        max_combined_length: int = 300,
    ) -> None:
        self.model = model
        self.passage_encoder = passage_encoder
        self.device = ComponentDevice.resolve_device(device)
        self.max_new_tokens = max_new_tokens
        self.num_beams = num_beams
        self.max_combined_length = max_combined_length
        self._parts: dict[str, Any] = {}

    def warm_up(self) -> None:
        """Download (first time) and load RAG-Token and the passage encoder."""
        if self._parts:
            return
        from transformers import AutoTokenizer, DPRContextEncoder, RagTokenForGeneration, RagTokenizer

        from qa.hub import require_hub_model

        require_hub_model(self.model, "RAG-Token model")
        require_hub_model(self.passage_encoder, "RAG passage encoder")
        try:
            torch_device = self.device.to_torch()
            rag: Any = RagTokenForGeneration.from_pretrained(self.model)
            passage_encoder: Any = DPRContextEncoder.from_pretrained(self.passage_encoder)
            self._parts = {
                "tokenizer": RagTokenizer.from_pretrained(self.model),
                "rag": rag.to(torch_device).eval(),
                "passage_tokenizer": AutoTokenizer.from_pretrained(self.passage_encoder),
                "passage_encoder": passage_encoder.to(torch_device).eval(),
            }
        except (OSError, ValueError) as error:
            raise ModelError(
                f"Cannot load RAG-Token {self.model!r} / {self.passage_encoder!r} (hub only; are you online?): {error}"
            ) from error

    @component.output_types(replies=list[str], documents=list[Document])
    def run(self, query: str, documents: list[Document]) -> dict[str, Any]:
        """One generated answer to `query`, conditioned on `documents`.

        :param query: the question.
        :param documents: the retrieved reviews the answer may draw on; each one's `meta["title"]`
            (else `meta["item_id"]`) is its title. An empty list gives no answer (and loads nothing).
        :returns: A dictionary with the following keys:
            - `replies`: the generated answer texts: one, or none when no documents were given.
            - `documents`: the documents given, unchanged, as the answer's evidence.
        """
        if not documents:
            return {"replies": [], "documents": []}
        import torch

        self.warm_up()
        parts, device = self._parts, self.device.to_torch()
        tokenizer, rag = parts["tokenizer"], parts["rag"]
        titles = [str(d.meta.get("title") or d.meta.get("item_id") or "") for d in documents]
        texts = [d.content or "" for d in documents]
        with torch.inference_mode():
            question = tokenizer.question_encoder(query, return_tensors="pt").to(device)
            question_embedding = rag.question_encoder(**question)[0]  # (1, hidden)
            passages = parts["passage_tokenizer"](
                titles, texts, truncation=True, max_length=256, padding=True, return_tensors="pt"
            ).to(device)
            passage_embeddings = parts["passage_encoder"](**passages).pooler_output  # (n, hidden)
            doc_scores = question_embedding @ passage_embeddings.T  # (1, n)
            config = rag.config
            contextualised = [
                (title + config.title_sep + text + config.doc_sep + query).replace("  ", " ")
                for title, text in zip(titles, texts, strict=True)
            ]
            context = tokenizer.generator(
                contextualised,
                max_length=self.max_combined_length,
                padding="max_length",
                truncation=True,
                return_tensors="pt",
            ).to(device)
            output = rag.generate(
                context_input_ids=context["input_ids"],
                context_attention_mask=context["attention_mask"],
                doc_scores=doc_scores,
                n_docs=len(documents),
                num_beams=self.num_beams,
                max_new_tokens=self.max_new_tokens,
            )
        replies = [str(t).strip() for t in tokenizer.generator.batch_decode(output, skip_special_tokens=True)]
        return {"replies": replies, "documents": documents}

    def to_dict(self) -> dict[str, Any]:
        """Serialise."""
        return default_to_dict(
            self,
            model=self.model,
            passage_encoder=self.passage_encoder,
            device=self.device.to_dict(),
            max_new_tokens=self.max_new_tokens,
            num_beams=self.num_beams,
            max_combined_length=self.max_combined_length,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RagTokenGenerator:
        """Deserialise (`default_from_dict` restores the ComponentDevice)."""
        return default_from_dict(cls, data)
