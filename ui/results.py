"""Read evaluation results (`eval/results/*.json` and `*.png`) into tables for the evaluation page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class ResultFile:
    """One result JSON: its file and its parsed content."""

    path: Path
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.path.stem)


@dataclass
class EvalResults:
    """What a results folder holds."""

    directory: Path
    results: list[ResultFile] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.results and not self.plots


def default_results_dir() -> Path:
    """`eval/results` of the current directory when it exists, else the one beside the installed code."""
    here = Path.cwd() / "eval" / "results"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "eval" / "results"


def load_eval_results(directory: Path) -> EvalResults:
    """Every JSON result (newest first) and PNG plot in `directory`; unreadable files become problems."""
    found = EvalResults(directory=directory)
    if not directory.is_dir():
        return found
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            found.problems.append(f"{path.name}: not readable JSON ({error})")
            continue
        if not isinstance(data, dict):
            data = {"metrics": data}
        found.results.append(ResultFile(path, data))
    found.results.sort(key=lambda r: str(r.data.get("created", "")), reverse=True)
    found.plots = sorted(directory.glob("*.png"))
    return found


def summary_table(results: list[ResultFile]) -> pd.DataFrame:
    """One row per result: name, kind, when, commit, file."""
    return pd.DataFrame(
        [
            {
                "result": r.name,
                "kind of evaluation": r.data.get("kind"),
                "created (UTC)": r.data.get("created"),
                "git commit": r.data.get("git_commit"),
                "file": r.path.name,
            }
            for r in results
        ]
    )


#: What the metric blocks of the result files mean (see docs/metrics.md), shown under their tables.
GLOSSARY = {
    "metrics": "Single numbers of this run.",
    "recall": "Recall@k: share of questions whose answer is in one of the k reviews retrieved (columns: k).",
    "mrr": "Mean reciprocal rank: 1 / rank of the first review holding the answer, averaged (1 is best).",
    "map": "Mean average precision over the reviews holding the answer.",
    "top1": "The reader's first answer scored against the gold answers: SQuAD 2.0 exact match (em) and F1.",
    "topk": "The best of the reader's top-k answers, SQuAD 2.0 exact match and F1.",
    "sas": "Semantic answer similarity of the first answer with the gold answers (0 to 1).",
    "latency_ms": "Milliseconds per question: median (p50), 95th percentile (p95) and slowest.",
    "reviews_read": "Reviews read per question by the consensus.",
    "grid": "Every pair of thresholds tried (the same reading grouped again).",
    "grid_best": "The threshold pair with the best balanced score.",
    "calibration": "How well the answer decision's probability matches how often answering was right.",
}


def describe(title: str) -> str | None:
    """What a metric table shows, from its block name (None for one the glossary does not know)."""
    key = title.split(".")[0].lower()
    return GLOSSARY.get(key) or next((text for name, text in GLOSSARY.items() if key.startswith(name)), None)


#: A nested block becomes a matrix when its sub-blocks share at most this many metric names.
MAX_MATRIX_COLUMNS = 12


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def metric_tables(metrics: Any) -> list[tuple[str, pd.DataFrame]]:
    """Tables for a result's metrics: top-level scalars together; each nested block as rows (its
    sub-blocks, dotted: `overall`, `by_group.factual`) by columns (their scalar metrics); lists of
    records as rows; a block too irregular for that as dotted `metric`/`value` pairs."""
    if isinstance(metrics, list):
        return [("metrics", _arrow_safe(_records_table(metrics)))]
    if not isinstance(metrics, dict):
        return [("metrics", _arrow_safe(pd.DataFrame({"value": [metrics]})))]
    tables: list[tuple[str, pd.DataFrame]] = []
    scalars = {k: v for k, v in metrics.items() if _is_scalar(v)}
    if scalars:
        tables.append(("metrics", pd.DataFrame({"metric": list(scalars), "value": list(scalars.values())})))
    for key, value in metrics.items():
        if _is_scalar(value):
            continue
        if isinstance(value, list):
            tables.append((str(key), _records_table(value)))
        elif all(_is_scalar(v) for v in value.values()):
            tables.append((str(key), pd.DataFrame({"group": list(value), str(key): list(value.values())})))
        else:
            tables.append((str(key), _block_table(value)))
    return [(title, _arrow_safe(table)) for title, table in tables]


def _rows(block: dict[str, Any], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    scalars = {str(k): v for k, v in block.items() if _is_scalar(v)}
    rows = [(prefix or "(all)", scalars)] if scalars else []
    for key, value in block.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            rows += _rows(value, path)
        elif isinstance(value, list):
            rows.append((path, {"value": value}))
    return rows


def _block_table(block: dict[str, Any]) -> pd.DataFrame:
    rows = _rows(block, "")
    columns = {column for _, values in rows for column in values}
    if len(columns) <= MAX_MATRIX_COLUMNS:
        table = pd.DataFrame.from_records([values for _, values in rows], index=[path for path, _ in rows])
        table.index.name = "group"
        return table
    flat = pd.json_normalize(block, sep=".").T.reset_index()
    flat.columns = pd.Index(["metric", "value"])
    return flat


def _arrow_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Mixed-type (object) columns as text, so that Arrow (st.dataframe) can show them."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(lambda v: "" if v is None else str(v))
    return table


def _records_table(values: list[Any]) -> pd.DataFrame:
    if values and all(isinstance(v, dict) for v in values):
        return pd.json_normalize(values, sep=".")
    return pd.DataFrame({"value": values})
