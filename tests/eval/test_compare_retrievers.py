"""The retriever comparison: one table for every retriever, hybrids tuned on dev when asked."""

from __future__ import annotations

import json
from pathlib import Path

from eval.compare_retrievers import WEIGHT_GRID, main


def test_comparison_with_a_hybrid_tuned_on_dev(subjqa_dir: Path, tmp_path: Path) -> None:
    code = main(
        [
            "--subjqa-dir", str(subjqa_dir),
            "--data-dir", str(tmp_path / "data"),
            "--limit", "12",
            "--no-mpnet",
            "--only", "bm25,hybrid-bm25+embedding-minilm",
            "--tune-hybrid-on", "dev",
            "--results-dir", str(tmp_path),
            "--name", "cmp",
            "--device", "cpu",
            "-q",
        ]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((tmp_path / "cmp.json").read_text())["metrics"]
    assert set(metrics) == {"bm25", next(n for n in metrics if n.startswith("hybrid-bm25+embedding-minilm (w="))}
    hybrid = next(v for k, v in metrics.items() if k != "bm25")
    assert hybrid["tuning"]["split"] == "dev" and len(hybrid["tuning"]["r_at_1_and_mrr"]) == len(WEIGHT_GRID)
    assert hybrid["settings"]["hybrid_bm25_weight"] == hybrid["tuning"]["chosen"]
    assert metrics["bm25"]["result"]["queries"]["answer_in_document"] > 0
    assert "weighted reciprocal rank fusion" in (tmp_path / "cmp.md").read_text()


def test_tuning_on_the_evaluated_split_is_refused(subjqa_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["--subjqa-dir", str(subjqa_dir), "--tune-hybrid-on", "test", "--results-dir", str(tmp_path), "-q"])
    assert code == 1 and "held-out split" in capsys.readouterr().err
