"""NLP task nodes for the product panel, found in a registry so that new ones appear by themselves.

Contract: `qa.nodes` may define `PRODUCT_TASKS`, a mapping from a display name to a function
`task(api: ReviewQA, item_id: str) -> object` whose result `st.write` can show (text, a number, a
dict, a pandas DataFrame). The UI shows the product panel only when at least one task is registered;
nothing in the UI needs to change when a task is added.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.api import ReviewQA

ProductTask = Callable[["ReviewQA", str], object]
REGISTRY_MODULE = "qa.nodes"
REGISTRY_NAME = "PRODUCT_TASKS"


def product_tasks() -> dict[str, ProductTask]:
    """The registered product tasks by name ({} when none exist yet)."""
    try:
        module = importlib.import_module(REGISTRY_MODULE)
    except ImportError:
        return {}
    registry = getattr(module, REGISTRY_NAME, None)
    if not isinstance(registry, Mapping):
        return {}
    return {str(name): task for name, task in registry.items() if callable(task)}
