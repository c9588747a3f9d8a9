"""The pipeline is drawn locally as DOT (no mermaid.ink): components, sockets, inputs and outputs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from haystack import Document, Pipeline, component

from qa.config import PACKAGED_MINILM, ReaderSettings, Settings
from qa.pipelines.draw import pipeline_to_dot


@component
class Split:
    @component.output_types(documents=list[Document], rest=list[Document])
    def run(self, documents: list[Document], limit: int = 3) -> dict[str, list[Document]]:
        return {"documents": documents[:limit], "rest": documents[limit:]}


@component
class Join:
    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], extra: list[Document] | None = None) -> dict[str, list[Document]]:
        return {"documents": documents + (extra or [])}


def _toy() -> Pipeline:
    pipeline = Pipeline()
    pipeline.add_component('split "A"\\', Split())
    pipeline.add_component("join", Join())
    pipeline.connect('split "A"\\.documents', "join.documents")
    pipeline.connect('split "A"\\.rest', "join.extra")
    return pipeline


def _edges(dot: str) -> list[str]:
    return [line.strip() for line in dot.splitlines() if "->" in line]


def test_components_connections_inputs_and_outputs() -> None:
    dot = pipeline_to_dot(_toy(), title="toy")
    assert dot.startswith("digraph pipeline {") and dot.rstrip().endswith("}")
    # names are escaped inside labels, node ids are safe generated ids
    assert 'label="split \\"A\\"\\\\\\nSplit\\n\\noptional inputs:\\nlimit: int"' in dot
    assert 'c1 [label="join\\nJoin"];' in dot
    edges = _edges(dot)
    assert 'c0 -> c1 [label="documents → documents\\nlist[Document]", style="solid"];' in edges
    assert 'c0 -> c1 [label="rest → extra\\nlist[Document]", style="dashed"];' in edges  # optional input
    assert 'pipeline_input -> c0 [label="documents\\nlist[Document]"];' in edges
    assert 'c1 -> pipeline_output [label="documents\\nlist[Document]"];' in edges
    assert len(edges) == 4


def test_the_projects_extractive_pipeline(tmp_path: Path) -> None:
    from qa.pipelines.definitions import extractive_pipeline
    from qa.stores.factory import open_store

    # The packaged base encoder is only resolved, not loaded: drawing needs no warm-up.
    settings = Settings(data_dir=tmp_path, reader=ReaderSettings(model=PACKAGED_MINILM), device="cpu")
    dot = pipeline_to_dot(extractive_pipeline(open_store(settings), settings))
    labels = re.findall(r'c\d+ \[label="([^\\"]+)\\n(\w+)', dot)
    assert {name for name, _ in labels} >= {"retriever", "reader"}
    assert ("reader", "ReviewReader") in labels
    assert any("documents → documents" in edge and "list[Document]" in edge for edge in _edges(dot))
    assert any(edge.startswith("pipeline_input ->") and "query" in edge for edge in _edges(dot))
    assert any("-> pipeline_output" in edge and "answers" in edge for edge in _edges(dot))


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is not installed (apt-get install graphviz)")
def test_graphviz_accepts_the_dot(tmp_path: Path) -> None:
    out = subprocess.run(["dot", "-Tsvg"], input=pipeline_to_dot(_toy()), capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "<svg" in out.stdout and "split &quot;A&quot;" in out.stdout
