"""What the libraries other than objects and behaviour share: field cleaning and pushing with row errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from datahub_svc.access import InvalidRows, WriteScope
from datahub_svc.cleaning.standardise import CleaningError, clean_region_code, clean_text, clean_uscc
from datahub_svc.objects.prepare import RowError
from svc_runtime.scope import DataScope

NATIONAL = "100000"
T = TypeVar("T", bound=BaseModel)


class RowCleaner:
    """Collects (row, field, reason) while the fields of one record are cleaned."""

    def __init__(self, row: int) -> None:
        self.row = row
        self.errors: list[RowError] = []

    def __call__(self, field: str, value: object, fn: Callable[[Any], Any], *, required: bool = False) -> Any:
        try:
            result = fn(value)
        except CleaningError as exc:
            self.errors.append((self.row, field, exc.reason))
            return None
        if result is None and required:
            self.errors.append((self.row, field, "required"))
        return result

    def text(self, field: str, value: object, max_length: int, *, required: bool = False) -> str | None:
        return self(field, value, lambda v: clean_text(v, max_length=max_length), required=required)

    def uscc(self, field: str, value: object) -> str | None:
        return self(field, value, clean_uscc)

    def region(self, field: str, value: object, *, national: bool = False) -> str | None:
        if national and clean_text(value) in (NATIONAL, "000000"):
            return NATIONAL
        return self(field, value, clean_region_code, required=True)

    def scope(self, check: WriteScope | None, region: str | None, department_id: uuid.UUID | None) -> None:
        if check is not None and region is not None and (denied := check(region, department_id)):
            self.errors.append((self.row, "region_code", denied))

    def fail(self, field: str, reason: str) -> None:
        self.errors.append((self.row, field, reason))


def clean_all(
    items: Sequence[T], clean: Callable[[T, int], tuple[dict[str, Any] | None, list[RowError]]]
) -> list[dict[str, Any]]:
    """Clean every item of a push; if any row is invalid nothing is stored (422 naming row, field, reason)."""
    rows, errors = [], []
    for i, item in enumerate(items, start=1):
        values, row_errors = clean(item, i)
        errors.extend(row_errors)
        if values is not None:
            rows.append(values)
    if errors:
        raise InvalidRows(
            f"{len({e[0] for e in errors})} of {len(items)} records are invalid; nothing was stored",
            errors=[{"row": r, "field": f, "reason": m} for r, f, m in errors],
        )
    return rows


def source_of(scope: DataScope, declared: str | None = None) -> str:
    return declared or scope.principal.client_id or scope.principal.subject


def provider_of(scope: DataScope) -> uuid.UUID | None:
    return scope.department
