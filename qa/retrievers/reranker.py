"""Which cross-encoder reorders the retrieved reviews, and Haystack's ranker built from it.

`settings.retrieval.reranker` is "none", "auto" (the one `reviewqa train-reranker` wrote to the data
dir's models/reranker), a local folder, or a hub id (online). The ranker is Haystack's
`SentenceTransformersSimilarityRanker`; its score (the cross-encoder's sigmoid) replaces the first
stage's score on every review it returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.config import NO_RERANKER, Settings
from qa.device import resolve_device
from qa.hub import require_hub_model
from qa.readers.model_files import ResolvedModel, resolve_auto
from qa.retrievers.encoder_models import weights_fingerprint


def resolve_reranker(settings: Settings) -> ResolvedModel | None:
    """The reranker `settings` names (None for "none"); "auto" is the trained one in the data dir.

    :param settings: the project's settings.
    :raises ModelError: "auto" with no trained reranker, or a folder that does not exist.
    """
    if not settings.retrieval.reranked:
        return None
    return resolve_auto(
        settings.retrieval.reranker,
        settings.default_reranker_dir,
        f"No reranker yet in {settings.default_reranker_dir}. Train one with `reviewqa train-reranker` "
        "(offline) or pass `--reranker cross-encoder/ms-marco-MiniLM-L-6-v2` (online).",
    )


def reranker_identity(settings: Settings) -> str:
    """A stable name for the configured reranker ("none" without one): folder name + weights fingerprint
    for a local model (changes when it is retrained), the hub id otherwise. Answer decisions fitted with
    a reranker are stored under this name."""
    model = resolve_reranker(settings)
    if model is None:
        return NO_RERANKER
    if not model.is_local:
        return model.name_or_path
    return f"{Path(model.name_or_path).name}#{weights_fingerprint(Path(model.name_or_path))}"


def build_reranker(settings: Settings) -> Any:
    """Haystack's cross-encoder ranker for the configured reranker (call only when one is configured).

    :param settings: the project's settings (`retrieval.reranker`, `retrieval.top_k`, device).
    """
    from haystack.utils import ComponentDevice
    from haystack_integrations.components.rankers.sentence_transformers import SentenceTransformersSimilarityRanker

    model = resolve_reranker(settings)
    if model is None:
        raise ValueError("build_reranker needs a configured reranker.")
    require_hub_model(model.name_or_path, "reranker")
    return SentenceTransformersSimilarityRanker(
        model=model.name_or_path,
        device=ComponentDevice.from_str(resolve_device(settings.device)),
        top_k=settings.retrieval.top_k,
        scale_score=True,
        token=None,
    )
