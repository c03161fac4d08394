"""Bulk import of departments from CSV: streamed parsing, one savepoint per row, a per-row error report.

The file is UTF-8 (with or without BOM) or GBK (GB 18030 decoder, its superset), detected from
the first chunk unless `encoding` says. Rows are parsed as the body arrives (a record may span
lines inside quotes) and applied in order, so a parent defined earlier in the file can be named
by later rows. Each row is applied in its own savepoint: a valid row is applied completely with
its event and audit record, an invalid one not at all and reported with its line number.
"""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from collections.abc import AsyncIterator
from enum import StrEnum

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.access import Auditor
from auth_svc.org import service
from auth_svc.org.models import Department
from auth_svc.org.schemas import DepartmentCreate, DepartmentMove, DepartmentUpdate, ImportReport, ImportRowError
from svc_runtime.problems import Problem
from svc_runtime.scope import DataScope

COLUMNS = ("name", "type", "region_code", "parent_id", "parent_name", "parent_region_code", "credit_code", "status")
REQUIRED = ("name", "type", "region_code")
ALIASES = {
    "名称": "name",
    "部门名称": "name",
    "类型": "type",
    "部门类型": "type",
    "区划代码": "region_code",
    "行政区划代码": "region_code",
    "上级部门id": "parent_id",
    "上级部门": "parent_name",
    "上级部门名称": "parent_name",
    "上级部门区划代码": "parent_region_code",
    "统一社会信用代码": "credit_code",
    "状态": "status",
}


class Encoding(StrEnum):
    AUTO = "auto"
    UTF8 = "utf-8"
    GBK = "gbk"


class InvalidImport(Problem):
    status = 422
    title = "Invalid import file"


def _decoder(encoding: Encoding, first: bytes) -> codecs.IncrementalDecoder:
    if encoding is Encoding.GBK:
        return codecs.getincrementaldecoder("gb18030")()
    if encoding is Encoding.UTF8 or first.startswith(codecs.BOM_UTF8):
        return codecs.getincrementaldecoder("utf-8-sig")()
    try:
        codecs.getincrementaldecoder("utf-8")().decode(first, final=False)
    except UnicodeDecodeError:
        return codecs.getincrementaldecoder("gb18030")()
    return codecs.getincrementaldecoder("utf-8-sig")()


async def _lines(chunks: AsyncIterator[bytes], encoding: Encoding) -> AsyncIterator[str]:
    decoder: codecs.IncrementalDecoder | None = None
    pending = ""
    async for chunk in chunks:
        if not chunk:
            continue
        if decoder is None:
            decoder = _decoder(encoding, chunk)
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise InvalidImport(
                f"the file is not valid {encoding.value if encoding is not Encoding.AUTO else 'UTF-8 or GBK'} text"
            ) from exc
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    if decoder is not None:
        try:
            pending += decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise InvalidImport("the file ends in the middle of a character") from exc
    if pending:
        yield pending


async def parse_csv(chunks: AsyncIterator[bytes], encoding: Encoding) -> AsyncIterator[tuple[int, list[str]]]:
    """(line number where the record starts, fields) for each CSV record, as the bytes arrive."""
    record, start, line_no = "", 0, 0
    async for line in _lines(chunks, encoding):
        line_no += 1
        if not record:
            start = line_no
        record += line
        if record.count('"') % 2:  # inside a quoted field that continues on the next line
            continue
        rows = list(csv.reader(io.StringIO(record)))
        record = ""
        if rows and any(field.strip() for field in rows[0]):
            yield start, rows[0]
    if record:
        raise InvalidImport(f"line {start}: a quoted field is not closed")


def _header(fields: list[str]) -> list[str]:
    names = []
    for raw in fields:
        key = raw.strip().lstrip("\ufeff")
        name = ALIASES.get(key, key.lower())
        if name not in COLUMNS:
            raise InvalidImport(f"unknown column {raw!r}; expected some of: {', '.join(COLUMNS)}")
        if name in names:
            raise InvalidImport(f"column {name!r} appears twice")
        names.append(name)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InvalidImport(f"missing columns: {', '.join(missing)}")
    return names


async def _resolve_parent(session: AsyncSession, row: dict[str, str]) -> uuid.UUID | None:
    if row.get("parent_id"):
        try:
            return uuid.UUID(row["parent_id"])
        except ValueError as exc:
            raise service.InvalidOrganisation("parent_id is not a UUID", field="parent_id") from exc
    if row.get("parent_name"):
        region = row.get("parent_region_code") or row["region_code"]
        parent_id = await session.scalar(
            select(Department.id).where(Department.name == row["parent_name"].strip(), Department.region_code == region)
        )
        if parent_id is None:
            raise service.InvalidOrganisation(
                f"no department {row['parent_name']!r} in region {region}", field="parent_name"
            )
        return parent_id
    return None


async def _apply_row(session: AsyncSession, auditor: Auditor, scope: DataScope, row: dict[str, str]) -> bool:
    """Create or update the department of one row; True when it was created."""
    values = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    parent_id = await _resolve_parent(session, values)
    body = DepartmentCreate.model_validate(
        {k: values.get(k) for k in ("name", "type", "region_code", "credit_code") if values.get(k)}
        | {"parent_id": parent_id}
    )
    existing = await session.scalar(
        select(Department).where(Department.region_code == body.region_code, Department.name == body.name)
    )
    if existing is None:
        department = await service.create_department(session, auditor, scope, body, source="import")
        if values.get("status"):
            await service.update_department(
                session, auditor, scope, department.id, DepartmentUpdate.model_validate({"status": values["status"]})
            )
        return True
    update = {"type": body.type, "credit_code": body.credit_code} | (
        {"status": values["status"]} if values.get("status") else {}
    )
    await service.update_department(
        session,
        auditor,
        scope,
        existing.id,
        DepartmentUpdate.model_validate({k: v for k, v in update.items() if v is not None}),
    )
    if existing.parent_id != parent_id:
        await service.move_department(session, auditor, scope, existing.id, DepartmentMove(parent_id=parent_id))
    return False


async def import_departments(
    session: AsyncSession,
    auditor: Auditor,
    scope: DataScope,
    chunks: AsyncIterator[bytes],
    *,
    encoding: Encoding,
    max_rows: int,
) -> ImportReport:
    columns: list[str] | None = None
    created = updated = total = 0
    errors: list[ImportRowError] = []
    async for line, fields in parse_csv(chunks, encoding):
        if columns is None:
            columns = _header(fields)
            continue
        total += 1
        if total > max_rows:
            raise InvalidImport(f"the file has more than {max_rows} rows; split it")
        if len(fields) != len(columns):
            errors.append(
                ImportRowError(line=line, field=None, message=f"expected {len(columns)} fields, found {len(fields)}")
            )
            continue
        try:
            async with session.begin_nested():
                if await _apply_row(session, auditor, scope, dict(zip(columns, fields, strict=True))):
                    created += 1
                else:
                    updated += 1
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or None
                errors.append(ImportRowError(line=line, field=field, message=error["msg"]))
        except Problem as exc:
            errors.append(ImportRowError(line=line, field=exc.extensions.get("field"), message=exc.detail or exc.title))
    if columns is None:
        raise InvalidImport("the file is empty; the first line must name the columns")
    await auditor.record(
        "department.imported",
        "department",
        None,
        region_code=scope.principal.region_code,
        total_rows=total,
        created=created,
        updated=updated,
        failed=len(errors),
    )
    return ImportReport(total_rows=total, created=created, updated=updated, failed=len(errors), errors=errors)


def report_csv(report: ImportReport) -> str:
    """The error report as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese text)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["line", "field", "message"])
    for error in report.errors:
        writer.writerow([error.line, error.field or "", error.message])
    return out.getvalue()
