"""HTTP interface of bulk import and export: upload a list, follow the job, download its reports; export."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy import ARRAY, Integer, Select, String, Uuid, column, func, literal, literal_column, null, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_svc.errors import InvalidField
from catalog_svc.imports import export
from catalog_svc.imports import service as import_service
from catalog_svc.imports.files import UnreadableFile, format_for
from catalog_svc.imports.models import (
    ChangeType,
    ImportAddedBatch,
    ImportChange,
    ImportJob,
    ImportKind,
    ImportRowError,
    JobStatus,
)
from catalog_svc.imports.rows import NATIONAL_REGIONS
from catalog_svc.imports.schemas import ChangeRead, ImportJobRead, RowErrorRead
from catalog_svc.items.endpoints import DeptQ, DomainQ, KindQ, LevelQ, ObjectQ, Q, RandomQ, RegionQ, StatusQ, TypeQ
from catalog_svc.items.models import ItemSource
from catalog_svc.validation.service import ValidationCacheDep
from supervision_schemas.identifiers import validate_region_code
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, PaginationParams, paginate
from svc_runtime.problems import NotFound, Problem
from svc_runtime.scope import DataScope, DataScopeDep, OutOfScope

router = APIRouter(prefix="/import-jobs", tags=["import and export"])
export_router = APIRouter(prefix="/items", tags=["import and export"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such job in your scope"}}


class UnsupportedFile(Problem):
    status = 415
    title = "Unsupported file"


async def _job(session: AsyncSession, job_id: uuid.UUID, scope: DataScope) -> ImportJob:
    job = await session.scalar(select(ImportJob).where(ImportJob.id == job_id, import_service.readable_jobs(scope)))
    if job is None:
        raise NotFound(f"no import job {job_id} (or it is outside your data scope)")
    return job


def _list_region(source: ItemSource, list_region: str | None, scope: DataScope) -> str:
    if source is ItemSource.NATIONAL:
        if not scope.unrestricted:
            raise OutOfScope("only platform administrators import the national list")
        national = list_region or "100000"
        if national not in NATIONAL_REGIONS:
            raise InvalidField(["body", "list_region"], "the national list covers the whole country (100000)")
        return national
    region = list_region or scope.principal.region_code
    if region is None:
        raise InvalidField(["body", "list_region"], "give the region of the list")
    try:
        validate_region_code(region)
    except ValueError as exc:
        raise InvalidField(["body", "list_region"], str(exc)) from None
    scope.check_write(region_code=region)
    return region


@router.post(
    "",
    status_code=202,
    response_model=ImportJobRead,
    responses={
        403: {"description": "Read-only role, or a region outside your scope"},
        415: {"description": "Not a CSV, JSON lines, JSON or XLSX file"},
    },
)
async def upload_list(
    request: Request,
    session: SessionDep,
    scope: DataScopeDep,
    cache: ValidationCacheDep,
    file: Annotated[
        UploadFile,
        File(description="CSV (UTF-8, UTF-8 with BOM or GBK, header row), JSON lines, a JSON array or XLSX."),
    ],
    kind: Annotated[ImportKind, Form(description="items: a list of items; mappings: a mapping table.")] = (
        ImportKind.ITEMS
    ),
    source: Annotated[ItemSource, Form(description="The list the items come from (items only).")] = (
        ItemSource.PROVINCIAL
    ),
    list_region: Annotated[
        str | None, Form(description="Region of the list (default: yours; 100000 for the national list).")
    ] = None,
    remove_missing: Annotated[
        bool, Form(description="Abolish the list's items (delete its mappings) that the file no longer has.")
    ] = False,
) -> Any:
    """Import a national, provincial or local list (or a mapping table) in the background; follow the job."""
    scope.check_write(region_code=None)
    filename = file.filename or "upload.csv"
    try:
        file_format = format_for(filename)
    except UnreadableFile as exc:
        raise UnsupportedFile(str(exc)) from None
    if kind is ImportKind.MAPPINGS:
        source_name = "mapping"
        national = (list_region or scope.principal.region_code or "100000") in NATIONAL_REGIONS
        region = _list_region(ItemSource.NATIONAL if national else ItemSource.PROVINCIAL, list_region, scope)
    else:
        source_name = source.value
        region = _list_region(source, list_region, scope)
    spool = import_service.spool_dir()
    spool.mkdir(parents=True, exist_ok=True)
    job_id = uuid.uuid4()
    path = spool / f"{job_id}.{file_format.value}"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        while chunk := await file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            await asyncio.to_thread(out.write, chunk)
    job = ImportJob(
        id=job_id,
        kind=kind,
        source=source_name,
        format=file_format.value,
        filename=filename[:300],
        file_sha256=digest.hexdigest(),
        size_bytes=size,
        list_region=region,
        remove_missing=remove_missing,
        status=JobStatus.QUEUED,
        rows_read=0,
        rows_accepted=0,
        rows_rejected=0,
        added=0,
        changed=0,
        unchanged=0,
        removed=0,
        ignored_columns=[],
        created_by=scope.principal.subject,
        region_code=scope.principal.region_code,
        department_id=scope.department,
    )
    if (twin := await import_service.running_twin(session, job)) is not None:
        path.unlink(missing_ok=True)
        return ImportJobRead.model_validate(twin)
    session.add(job)
    await session.flush()
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    tasks: set[asyncio.Task[None]] = request.app.state.__dict__.setdefault("import_tasks", set())
    task = asyncio.create_task(import_service.run_job(sessionmaker, job_id, path, scope, cache))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return ImportJobRead.model_validate(job)


@router.get("", response_model=Page[ImportJobRead])
async def list_jobs(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    kind: Annotated[ImportKind | None, Query(description="Only jobs of this kind.")] = None,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status.")] = None,
) -> Any:
    """List import jobs, newest first."""
    statement = select(ImportJob).where(import_service.readable_jobs(scope))
    if kind:
        statement = statement.where(ImportJob.kind == kind)
    if status:
        statement = statement.where(ImportJob.status == status)
    items, total = await paginate(session, statement.order_by(ImportJob.created_at.desc(), ImportJob.id), pagination)
    return Page(
        items=[ImportJobRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{job_id}", response_model=ImportJobRead, responses=NOT_FOUND)
async def get_job(job_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get an import job: status, progress counts and what it changed."""
    return ImportJobRead.model_validate(await _job(session, job_id, scope))


def _errors(job_id: uuid.UUID) -> Select[Any]:
    return (
        select(ImportRowError)
        .where(ImportRowError.job_id == job_id)
        .order_by(ImportRowError.row_number, ImportRowError.id)
    )


def _changes(job_id: uuid.UUID, change: ChangeType | None) -> Select[Any]:
    """The report's lines in order (by kind, then by row of the file): stored lines, and the items each chunk
    of an item import added, one line per element of its arrays."""
    stored = select(
        ImportChange.change,
        ImportChange.id.label("batch"),
        literal(0, Integer).label("position"),
        ImportChange.row_number,
        ImportChange.code,
        ImportChange.target_code,
        ImportChange.item_id,
        ImportChange.fields,
        ImportChange.detail,
    ).where(ImportChange.job_id == job_id)
    lines = (
        func.unnest(ImportAddedBatch.row_numbers, ImportAddedBatch.codes, ImportAddedBatch.item_ids)
        .table_valued(
            column("row_number", Integer), column("code", String), column("item_id", Uuid), with_ordinality="position"
        )
        .render_derived(name="line")
    )
    added = (
        select(
            literal(ChangeType.ADDED, ImportChange.change.type),
            ImportAddedBatch.batch,
            lines.c.position,
            lines.c.row_number,
            lines.c.code,
            null().cast(String),
            lines.c.item_id,
            literal_column("'{}'", ARRAY(String(60))),
            null().cast(JSONB),
        )
        .select_from(ImportAddedBatch)
        .join(lines, true())
        .where(ImportAddedBatch.job_id == job_id)
    )
    if change is not None and change is not ChangeType.ADDED:
        return stored.where(ImportChange.change == change).order_by(
            ImportChange.change, ImportChange.row_number, ImportChange.id
        )
    if change is ChangeType.ADDED:
        stored = stored.where(ImportChange.change == change)
    report = stored.union_all(added).subquery("report")
    return select(report).order_by(report.c.change, report.c.row_number, report.c.batch, report.c.position)


async def _page(session: AsyncSession, statement: Select[Any], pagination: PaginationParams) -> tuple[list[Any], int]:
    """One page of report lines (rows, not entities) and how many lines there are."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.execute(statement.offset(pagination.offset).limit(pagination.limit))).all()
    return list(rows), int(total or 0)


@router.get("/{job_id}/errors", response_model=Page[RowErrorRead], responses=NOT_FOUND)
async def list_errors(job_id: uuid.UUID, session: SessionDep, scope: DataScopeDep, pagination: PaginationDep) -> Any:
    """List the refused rows of a job: row number, field and reason."""
    await _job(session, job_id, scope)
    items, total = await paginate(session, _errors(job_id), pagination)
    return Page(
        items=[RowErrorRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{job_id}/changes", response_model=Page[ChangeRead], responses=NOT_FOUND)
async def list_changes(
    job_id: uuid.UUID,
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    change: Annotated[ChangeType | None, Query(description="Only added, changed or removed.")] = None,
) -> Any:
    """List what the import changed since the last import of the list: added, changed (fields), removed."""
    await _job(session, job_id, scope)
    items, total = await _page(session, _changes(job_id, change), pagination)
    return Page(
        items=[ChangeRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


def _csv_download(
    sessionmaker: async_sessionmaker[AsyncSession],
    statement: Select[Any],
    header: list[str],
    row: Callable[[Any], list[Any]],
    filename: str,
    *,
    entities: bool = True,
) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield ("\ufeff" + buffer.getvalue()).encode()
        # the request's session has committed by the time the body streams: read in a transaction of our own
        async with sessionmaker() as own, own.begin():
            options = statement.execution_options(yield_per=5000)
            result = await (own.stream_scalars(options) if entities else own.stream(options))
            async for part in result.partitions():
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(row(r) for r in part)
                yield buffer.getvalue().encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8 with BOM"},
    **NOT_FOUND,
}


@router.get("/{job_id}/errors.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
async def download_errors(job_id: uuid.UUID, request: Request, session: SessionDep, scope: DataScopeDep) -> Any:
    """Download the per-row error report of a job as CSV: row, field, reason."""
    await _job(session, job_id, scope)
    return _csv_download(
        request.state.sessionmaker,
        _errors(job_id),
        ["row", "field", "reason"],
        lambda e: [e.row_number, e.field, e.reason],
        f"errors-{job_id}.csv",
    )


@router.get("/{job_id}/changes.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
async def download_changes(job_id: uuid.UUID, request: Request, session: SessionDep, scope: DataScopeDep) -> Any:
    """Download the change report of a job as CSV: change, row, code, target code, fields, before/after."""
    await _job(session, job_id, scope)
    return _csv_download(
        request.state.sessionmaker,
        _changes(job_id, None),
        ["change", "row", "code", "target_code", "fields", "detail"],
        lambda c: [
            c.change.value,
            c.row_number or "",
            c.code,
            c.target_code or "",
            "；".join(c.fields or []),
            orjson.dumps(c.detail).decode() if c.detail else "",
        ],
        f"changes-{job_id}.csv",
        entities=False,
    )


@export_router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {m: {} for m in export.MEDIA_TYPES.values()}, "description": "The export file"}},
)
async def export_items(
    request: Request,
    scope: DataScopeDep,
    format: Annotated[export.ExportFormat, Query(description="csv, jsonl, json or xlsx.")] = export.ExportFormat.CSV,
    headings: Annotated[
        export.Headings, Query(description="Column names: field names, or the Chinese headings of provincial sheets.")
    ] = export.Headings.FIELDS,
    q: Q = None,
    item_type: TypeQ = None,
    region_code: RegionQ = None,
    department_id: DeptQ = None,
    domain: DomainQ = None,
    level: LevelQ = None,
    object_type: ObjectQ = None,
    status: StatusQ = None,
    kind: KindQ = None,
    random_check: RandomQ = None,
) -> Any:
    """Export the catalog (filtered like the classified query) in a format the import reads back."""
    query = export.statement(
        scope,
        q=q,
        item_type=item_type,
        region_code=region_code,
        department_id=department_id,
        domain=domain,
        level=level,
        object_type=object_type,
        status=status,
        kind=kind,
        random_check=random_check,
    )
    return StreamingResponse(
        export.stream(request.state.sessionmaker, query, format, headings),
        media_type=export.MEDIA_TYPES[format],
        headers={"content-disposition": f'attachment; filename="catalog.{format.value}"'},
    )
