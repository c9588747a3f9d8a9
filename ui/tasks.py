"""The product panel's NLP tasks, found in a registry so that new ones appear by themselves.

Contract: `qa.nodes` defines `PRODUCT_TASKS`, a mapping from a display name to a callable
`task(api, item_id, text=None) -> Analysis` (`qa.nodes.ProductTask`). A task may also have
`description` (one line), `text_label` (it takes a text the user types, with this label) and
`unavailable(settings) -> str | None` (why it cannot run here; checked without loading a model).
The UI shows every registered task; one that cannot run is shown disabled, with its reason.
Nothing in the UI needs to change when a task is added.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from qa.config import Settings

REGISTRY_MODULE = "qa.nodes"
REGISTRY_NAME = "PRODUCT_TASKS"


@dataclass(frozen=True)
class PanelTask:
    """A registered task as the panel shows it."""

    name: str
    run: Callable[..., Any]
    description: str = ""
    text_label: str | None = None
    #: Why it cannot run here (None when it can).
    unavailable: str | None = None


def product_tasks(settings: Settings) -> list[PanelTask]:
    """The registered product tasks, in registry order ([] when none exist)."""
    try:
        module = importlib.import_module(REGISTRY_MODULE)
    except ImportError:
        return []
    registry = getattr(module, REGISTRY_NAME, None)
    if not isinstance(registry, Mapping):
        return []
    tasks = []
    for name, task in registry.items():
        if not callable(task):
            continue
        check = getattr(task, "unavailable", None)
        tasks.append(
            PanelTask(
                name=str(name),
                run=task,
                description=str(getattr(task, "description", "") or ""),
                text_label=getattr(task, "text_label", None),
                unavailable=check(settings) if callable(check) else None,
            )
        )
    return tasks
