"""Every project component is documented the way Haystack's are, and loads nothing in `__init__`.

For each `@component` class under qa/: every `__init__` parameter has a `:param name:` line (in the
class or `__init__` docstring), `run` documents each input and its `:returns:`, and `__init__` neither
reads files nor loads models (that is `warm_up`'s job in Haystack's contract).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QA = Path(__file__).resolve().parents[2] / "qa"
#: Calls that read files or load models: never in a component's __init__.
LOADING_CALLS = {"from_pretrained", "read_text", "read_bytes", "open", "load", "SentenceTransformer", "pipeline"}


def _is_component(node: ast.ClassDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "component") or (isinstance(d, ast.Attribute) and d.attr == "component")
        for d in node.decorator_list
    )


def _components() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in sorted(QA.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and _is_component(node):
                found.append((f"{path.relative_to(QA.parent)}:{node.name}", node))
    return found


COMPONENTS = _components()


def _method(node: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((m for m in node.body if isinstance(m, ast.FunctionDef) and m.name == name), None)


def _parameters(method: ast.FunctionDef) -> list[str]:
    names = [a.arg for a in method.args.args[1:] + method.args.kwonlyargs]
    return names + ([method.args.kwarg.arg] if method.args.kwarg else [])


def test_there_are_components_to_check() -> None:
    assert len(COMPONENTS) >= 10


@pytest.mark.parametrize(("where", "node"), COMPONENTS, ids=[w for w, _ in COMPONENTS])
def test_init_parameters_are_documented_and_nothing_loads(where: str, node: ast.ClassDef) -> None:
    init = _method(node, "__init__")
    if init is None:
        return
    docs = (ast.get_docstring(node) or "") + (ast.get_docstring(init) or "")
    missing = [p for p in _parameters(init) if f":param {p}:" not in docs]
    assert not missing, f"{where}: __init__ parameters without a :param line: {missing}"
    loading = sorted(
        ast.unparse(call)[:80]
        for call in ast.walk(init)
        if isinstance(call, ast.Call)
        and (
            (isinstance(call.func, ast.Attribute) and call.func.attr in LOADING_CALLS)
            or (isinstance(call.func, ast.Name) and call.func.id in LOADING_CALLS)
        )
    )
    assert not loading, f"{where}: __init__ loads (move it to warm_up): {loading}"


@pytest.mark.parametrize(("where", "node"), COMPONENTS, ids=[w for w, _ in COMPONENTS])
def test_run_inputs_and_outputs_are_documented(where: str, node: ast.ClassDef) -> None:
    run = _method(node, "run")
    if run is None:
        return  # inherited from a Haystack component, documented there
    docs = ast.get_docstring(run) or ""
    missing = [p for p in _parameters(run) if f":param {p}:" not in docs]
    assert not missing, f"{where}: run inputs without a :param line: {missing}"
    assert ":returns:" in docs, f"{where}: run has no :returns: line"
