"""Which retrievers and answer modes can run here, and why not: checked without loading a model.

The UI offers only what can run (and says why the rest cannot) instead of offering an option that
answers with a hint to install or train something. The product panel's NLP tasks say the same
through `qa.nodes.PRODUCT_TASKS`.
"""

from __future__ import annotations

from qa.config import RetrieverKind, Settings
from qa.errors import ModelError
from qa.nodes import model_unavailable, reader_unavailable


def retriever_unavailable(settings: Settings, kind: RetrieverKind) -> str | None:
    """Why the retriever `kind` cannot run with these settings (e.g. no trained DPR encoders), or None."""
    from qa.pipelines.definitions import dense_kind
    from qa.retrievers.encoder_models import dense_encoders

    chosen = settings.with_overrides(retriever=kind)
    dense = dense_kind(chosen)
    if dense is None:
        return None
    try:
        pair = dense_encoders(chosen, dense)
    except ModelError as error:
        return str(error)
    for encoder in (pair.query, pair.document):
        if not encoder.is_local:
            missing = model_unavailable(encoder.name_or_path, "encoder")
            if missing:
                return missing
    return None


def mode_unavailable(settings: Settings, mode: str) -> str | None:
    """Why the answer mode (a pipeline name: retrieval, extractive, generative) cannot run, or None."""
    if mode == "retrieval":
        return None
    if mode == "generative":
        from qa.nodes.packaged_models import resolve_generator

        try:
            generator = resolve_generator(settings.nlp.generator_model)
        except ModelError as error:
            return str(error)
        return model_unavailable(generator.name_or_path, "generator")
    return reader_unavailable(settings)
