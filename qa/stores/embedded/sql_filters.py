"""Haystack metadata filters, narrowed to SQL over the store's indexed columns.

Only what SQL can decide *exactly like* `haystack.utils.filters.document_matches_filter` is
translated: `==`, `!=`, `in`, `not in` with text values on `id` and the indexed meta fields, joined
by AND / OR / NOT. A row whose indexed field holds a non-text value is flagged `plain = 0` and always
re-checked by Haystack's own matcher, so the SQL never has to mimic Python's comparison of mixed
types. Everything else (ranges, dates, other fields) is left to Haystack's matcher: an AND keeps
its translatable part as a prefilter, anything else scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Meta fields kept in their own indexed columns (`m_<field>`): what retrieval filters by.
INDEXED_FIELDS = ("item_id", "split", "domain", "embedding_model")


def column(field: str) -> str | None:
    """The SQL column of a filter field, or None when it has none."""
    if field == "id":
        return "id"
    name = field.removeprefix("meta.")
    return f"m_{name}" if field.startswith("meta.") and name in INDEXED_FIELDS else None


@dataclass(frozen=True)
class Prefilter:
    """A SQL condition over `documents`: `exact` when it decides the whole filter for plain rows."""

    sql: str
    params: tuple[Any, ...]
    exact: bool


def _comparison(condition: dict[str, Any]) -> Prefilter | None:
    field, operator, value = condition.get("field"), condition.get("operator"), condition.get("value")
    name = column(field) if isinstance(field, str) else None
    if name is None:
        return None
    if operator in ("==", "!="):
        if value is None:
            return Prefilter(f"{name} IS {'NOT ' if operator == '!=' else ''}NULL", (), True)
        if isinstance(value, str):
            return Prefilter(f"{name} IS {'NOT ' if operator == '!=' else ''}?", (value,), True)
        return None
    if operator in ("in", "not in") and isinstance(value, list) and all(isinstance(v, str) for v in value):
        # Never NULL (so NOT stays exact), and still served by the column's index.
        member = f"({name} IS NOT NULL AND {name} IN ({', '.join('?' * len(value))}))" if value else "0"
        return Prefilter(member if operator == "in" else f"NOT {member}", tuple(value), True)
    return None


def _logical(condition: dict[str, Any]) -> Prefilter | None:
    operator, children = condition.get("operator"), condition.get("conditions")
    if not isinstance(children, list) or not children:
        return None
    parts = [prefilter(child) for child in children]
    if operator == "AND":
        known = [p for p in parts if p is not None]
        if not known:
            return None
        sql = " AND ".join(f"({p.sql})" for p in known)
        exact = len(known) == len(parts) and all(p.exact for p in known)
        return Prefilter(sql, tuple(v for p in known for v in p.params), exact)
    if any(p is None or not p.exact for p in parts):
        return None  # an OR or NOT with an untranslatable part constrains nothing SQL can express
    joined = " OR ".join(f"({p.sql})" for p in parts if p is not None)
    params = tuple(v for p in parts if p is not None for v in p.params)
    if operator == "OR":
        return Prefilter(joined, params, True)
    if operator == "NOT":  # Haystack: NOT(a, b) is not (a and b)
        anded = " AND ".join(f"({p.sql})" for p in parts if p is not None)
        return Prefilter(f"NOT ({anded})", params, True)
    return None


def prefilter(filters: dict[str, Any] | None) -> Prefilter | None:
    """The SQL narrowing of `filters` (None: no narrowing, every row is a candidate)."""
    if not filters:
        return None
    if "conditions" in filters:
        return _logical(filters)
    return _comparison(filters)
