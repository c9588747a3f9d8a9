"""Draw a pipeline locally, as Graphviz DOT text.

Haystack's `Pipeline.draw`/`show` send the graph to mermaid.ink, which fails offline. This module turns
`pipeline.graph` (a networkx MultiDiGraph: one node per component, one edge per connection, carrying
its `from_socket`/`to_socket`) into DOT, which Streamlit's `st.graphviz_chart` renders in the
browser and the `dot` program renders anywhere.
"""

from __future__ import annotations

import re
from typing import Any

from haystack import Pipeline

_QUALIFIER = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])")


def _type_name(annotation: Any) -> str:
    """A short readable type: `list[Document]`, `dict[str, Any] | None`, `str`."""
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return _QUALIFIER.sub("", str(annotation))


def _quote(text: str) -> str:
    """A DOT double-quoted string ("\\n" in `text` becomes a line break)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(**values: str) -> str:
    return "[" + ", ".join(f"{key}={_quote(value)}" for key, value in values.items()) + "]"


def pipeline_to_dot(pipeline: Pipeline, *, title: str | None = None) -> str:
    """DOT text of `pipeline`: components, their connections (socket names and types), and the
    pipeline's own inputs (unconnected mandatory sockets) and outputs (unconnected output sockets).

    Optional inputs nobody sends to are listed inside their component's box. Mandatory
    connections are solid, optional ones dashed.
    """
    graph = pipeline.graph
    ids = {name: f"c{number}" for number, name in enumerate(graph.nodes)}
    lines = [
        "digraph pipeline {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#4a6fa5", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10, color="#4a6fa5"];',
    ]
    if title:
        lines.append(f"  label={_quote(title)}; labelloc=t;")

    inputs: list[tuple[str, str, str]] = []  # (component, socket, type)
    outputs: list[tuple[str, str, str]] = []
    for name, data in graph.nodes(data=True):
        optional = []
        for socket_name, socket in data.get("input_sockets", {}).items():
            if socket.senders:
                continue
            if socket.is_mandatory:
                inputs.append((name, socket_name, _type_name(socket.type)))
            else:
                optional.append(f"{socket_name}: {_type_name(socket.type)}")
        for socket_name, socket in data.get("output_sockets", {}).items():
            if not socket.receivers:
                outputs.append((name, socket_name, _type_name(socket.type)))
        label = f"{name}\n{type(data['instance']).__name__}"
        if optional:
            label += "\n\noptional inputs:\n" + "\n".join(optional)
        lines.append(f"  {ids[name]} {_attrs(label=label)};")

    if inputs:
        lines.append(f"  pipeline_input {_attrs(label='input', shape='oval', fillcolor='#e8f5e9')};")
    if outputs:
        lines.append(f"  pipeline_output {_attrs(label='output', shape='oval', fillcolor='#fff3e0')};")

    for sender, receiver, data in graph.edges(data=True):
        from_socket, to_socket = data["from_socket"], data["to_socket"]
        conn_type = str(data.get("conn_type") or _type_name(from_socket.type))
        label = f"{from_socket.name} → {to_socket.name}\n{conn_type}"
        style = "solid" if data.get("mandatory", True) else "dashed"
        lines.append(f"  {ids[sender]} -> {ids[receiver]} {_attrs(label=label, style=style)};")
    for component, socket_name, type_name in inputs:
        attrs = _attrs(label=socket_name + "\n" + type_name)
        lines.append(f"  pipeline_input -> {ids[component]} {attrs};")
    for component, socket_name, type_name in outputs:
        attrs = _attrs(label=socket_name + "\n" + type_name)
        lines.append(f"  {ids[component]} -> pipeline_output {attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
