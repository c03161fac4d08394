"""Export of the catalog in the import formats (CSV, JSON lines, JSON, XLSX), streamed from the database."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_svc.imports.rows import CHINESE_HEADINGS, ITEM_COLUMNS
from catalog_svc.imports.xlsx import XlsxWriter
from catalog_svc.items import service as item_service
from catalog_svc.items.models import SupervisionItem
from svc_runtime.scope import DataScope

BATCH = 2000
FIELDS = tuple(ITEM_COLUMNS)
_LISTS = ("supervision_methods", "measures", "object_types")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"
    XLSX = "xlsx"


class Headings(StrEnum):
    FIELDS = "fields"
    CHINESE = "chinese"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.JSON: "application/json",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def statement(scope: DataScope, **filters: Any) -> Select[Any]:
    """Main items before sub items, so that a re-import finds every main item before its sub items."""
    parent = SupervisionItem.__table__.alias("parent")
    columns = [c for c in FIELDS if c not in ("code", "parent_code")]
    return (
        select(
            SupervisionItem.code,
            parent.c.code.label("parent_code"),
            *(getattr(SupervisionItem, c) for c in columns),
        )
        .outerjoin(parent, parent.c.id == SupervisionItem.parent_id)
        .where(item_service.readable(scope), *item_service.item_filters(**filters))
        .order_by(SupervisionItem.kind, SupervisionItem.code, SupervisionItem.id)
    )


def _value(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    return value


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _LISTS:
        return "；".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(_value(value))


async def stream(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[Any], fmt: ExportFormat, headings: Headings
) -> AsyncIterator[bytes]:
    """The export file piece by piece, read in a transaction of its own (the request's has ended)."""
    names = [CHINESE_HEADINGS[f] if headings is Headings.CHINESE else f for f in FIELDS]
    xlsx = XlsxWriter("监管事项") if fmt is ExportFormat.XLSX else None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if fmt is ExportFormat.CSV:
        writer.writerow(names)
        yield ("\ufeff" + buffer.getvalue()).encode()
    elif xlsx is not None:
        yield xlsx.add([names])
    elif fmt is ExportFormat.JSON:
        yield b"["
    first = True
    async with sessionmaker() as session, session.begin():
        result = await session.stream(query.execution_options(yield_per=BATCH))
        async for part in result.partitions():
            if fmt is ExportFormat.CSV:
                buffer.seek(0)
                buffer.truncate()
                writer.writerows([_cell(f, v) for f, v in zip(FIELDS, row, strict=True)] for row in part)
                yield buffer.getvalue().encode()
            elif xlsx is not None:
                yield xlsx.add([_cell(f, v) for f, v in zip(FIELDS, row, strict=True)] for row in part)
            else:
                lines = [
                    orjson.dumps({n: _value(v) for n, v in zip(names, row, strict=True)}, default=str) for row in part
                ]
                if fmt is ExportFormat.JSONL:
                    yield b"\n".join(lines) + b"\n"
                else:
                    yield (b"" if first else b",") + b",".join(lines)
            first = False
    if fmt is ExportFormat.JSON:
        yield b"]"
    elif xlsx is not None:
        yield xlsx.finish()
