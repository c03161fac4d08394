"""Check of entered results against the inspection form of the catalog's implementation list.

The form travels in `InspectionListPublished` (key, label, type, required, options); types are those of
catalog-svc: text, number, integer, boolean, date, select, multiselect.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def field_errors(form: list[dict[str, Any]], values: dict[str, Any], *, require: bool) -> list[tuple[str, str]]:
    """(field key, message) for every problem: unknown keys, missing required fields, wrong types or options."""
    errors: list[tuple[str, str]] = []
    fields = {f["key"]: f for f in form}
    for key in values:
        if key not in fields:
            errors.append((key, "not a field of this inspection form"))
    for key, spec in fields.items():
        value = values.get(key)
        if value is None or value == "" or value == []:
            if require and spec.get("required"):
                errors.append((key, f"{spec.get('label', key)} is required"))
            continue
        message = _check(spec, value)
        if message:
            errors.append((key, message))
    return errors


def _check(spec: dict[str, Any], value: Any) -> str | None:
    kind = spec.get("type")
    options = spec.get("options") or []
    if kind == "text":
        return None if isinstance(value, str) and len(value) <= 10_000 else "must be text (at most 10,000 characters)"
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if kind == "integer" and not float(value).is_integer():
            return "must be a whole number"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return "must be a date (YYYY-MM-DD)"
        return None
    if kind == "select":
        return None if value in options else f"must be one of {options}"
    if kind == "multiselect":
        if not isinstance(value, list) or any(v not in options for v in value):
            return f"must be a list of {options}"
        return None
    return None
