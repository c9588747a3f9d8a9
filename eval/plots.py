"""PNG plots of evaluation results (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_recall_curves(curves: Mapping[str, Mapping[int, float]], path: Path, title: str) -> Path:
    """Recall@k against k, one line per retriever (the book's recall-vs-k figure)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, recall in curves.items():
        ks = sorted(recall)
        ax.plot(ks, [recall[k] for k in ks], marker="o", label=label)
    ax.set(xlabel="k (retrieved reviews)", ylabel="recall@k", title=title, ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_score_bars(scores: Mapping[str, Mapping[str, float]], path: Path, title: str, parts: Sequence[str]) -> Path:
    """Grouped bars: one group per reader, one bar per part (e.g. overall/HasAns/NoAns F1)."""
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(scores)), 4))
    width = 0.8 / max(len(parts), 1)
    for j, part in enumerate(parts):
        xs = [i + j * width for i in range(len(scores))]
        ax.bar(xs, [scores[name].get(part, 0.0) for name in scores], width=width, label=part)
    ax.set_xticks([i + width * (len(parts) - 1) / 2 for i in range(len(scores))])
    ax.set_xticklabels(list(scores), rotation=15, fontsize=8)
    ax.set(ylabel="score", title=title, ylim=(0, 1))
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
