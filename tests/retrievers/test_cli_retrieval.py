"""The retrieval options on the command line: real subprocesses, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from indexer.write import write_reviews
from qa.stores.embedded import EmbeddedDocumentStore
from tests.stores.contract import REVIEWS

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "REVIEWQA_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], cwd=REPO, env=environ, capture_output=True, text=True, timeout=300
    )


def test_embed_command(tmp_path: Path) -> None:
    write_reviews(EmbeddedDocumentStore(tmp_path / "store"), REVIEWS, progress=False)
    first = run(["embed", "--retriever", "hybrid", "--store", "faiss", "--device", "cpu", "-q"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "5 reviews embedded" in first.stdout and "0 already had them" in first.stdout
    assert (tmp_path / "store" / "vectors.rqa").is_file()  # the FAISS index was saved beside the documents


def test_bad_choices_and_unreachable_elasticsearch_are_one_line(tmp_path: Path) -> None:
    for args, message in (
        (["ask", "q?", "--item", "A", "--retriever", "tfidf"], "--retriever must be one of"),
        (["embed", "--store", "elasticsearch"], "not reachable"),
    ):
        out = run(args, tmp_path, ES_URL="http://127.0.0.1:9")
        assert out.returncode == 1, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr
