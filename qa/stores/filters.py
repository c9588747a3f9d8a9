"""Metadata filters in Haystack's filter syntax, built in one place."""

from __future__ import annotations

from typing import Any


def review_filters(
    item_id: str | None = None, split: str | None = None, domain: str | None = None
) -> dict[str, Any] | None:
    """Filters restricting retrieval to one product (and optionally one split and domain)."""
    conditions = [
        {"field": f"meta.{name}", "operator": "==", "value": value}
        for name, value in (("item_id", item_id), ("split", split), ("domain", domain))
        if value is not None
    ]
    if not conditions:
        return None
    return {"operator": "AND", "conditions": conditions}
