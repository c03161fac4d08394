"""Inspection forms as structured fields, and the check of a filled form against its definition."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    SELECT = "select"
    MULTISELECT = "multiselect"


class FormField(BaseModel):
    """One field inspectors fill in; random-check-svc and the mobile app render and validate against it."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    label: str = Field(min_length=1, max_length=200)
    type: FieldType
    required: bool = False
    options: list[str] = Field(default_factory=list, description="For select and multiselect.")
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.type in (FieldType.SELECT, FieldType.MULTISELECT) and not self.options:
            raise ValueError(f"field {self.key!r}: a {self.type.value} field needs options")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"field {self.key!r}: invalid pattern ({exc})") from exc
        return self


def check_form_definition(fields: list[FormField]) -> None:
    keys = [f.key for f in fields]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"duplicate form field keys: {dupes}")


class FieldError(BaseModel):
    field: str
    message: str


def validate_values(fields: list[FormField], values: dict[str, Any]) -> list[FieldError]:
    """Every problem of a filled form: missing required fields, wrong types, unknown options, bounds, unknown keys."""
    errors: list[FieldError] = []
    known = {f.key for f in fields}
    for key in values:
        if key not in known:
            errors.append(FieldError(field=key, message="not a field of this form"))
    for f in fields:
        value = values.get(f.key)
        if value is None or value == "" or value == []:
            if f.required:
                errors.append(FieldError(field=f.key, message=f"{f.label} is required"))
            continue
        message = _check(f, value)
        if message:
            errors.append(FieldError(field=f.key, message=message))
    return errors


def _check(f: FormField, value: Any) -> str | None:
    match f.type:
        case FieldType.TEXT:
            if not isinstance(value, str):
                return "must be text"
            if f.max_length and len(value) > f.max_length:
                return f"must be at most {f.max_length} characters"
            if f.pattern and not re.fullmatch(f.pattern, value):
                return f"does not match {f.pattern}"
        case FieldType.NUMBER | FieldType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                return "must be a number"
            if f.type is FieldType.INTEGER and not float(value).is_integer():
                return "must be a whole number"
            if f.min is not None and value < f.min:
                return f"must be at least {f.min:g}"
            if f.max is not None and value > f.max:
                return f"must be at most {f.max:g}"
        case FieldType.BOOLEAN:
            if not isinstance(value, bool):
                return "must be true or false"
        case FieldType.DATE:
            try:
                date.fromisoformat(str(value))
            except ValueError:
                return "must be a date (YYYY-MM-DD)"
        case FieldType.SELECT:
            if value not in f.options:
                return f"must be one of {f.options}"
        case FieldType.MULTISELECT:
            if not isinstance(value, list) or any(v not in f.options for v in value):
                return f"must be a list of {f.options}"
    return None
