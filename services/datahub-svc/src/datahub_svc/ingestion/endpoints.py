"""HTTP interface of batch imports: upload a file, follow the job, download the per-row error report."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from datahub_svc.access import write_checker
from datahub_svc.ingestion import service as ingestion_service
from datahub_svc.ingestion.files import UnreadableFile, format_for
from datahub_svc.ingestion.models import IngestJob, IngestRowError
from datahub_svc.ingestion.schemas import IngestJobRead, RowErrorRead
from datahub_svc.settings import DatahubSettings
from supervision_schemas.datahub import ObjectKind
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import NotFound, Problem
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/ingest-jobs", tags=["ingestion"])


class UnsupportedFile(Problem):
    status = 415
    title = "Unsupported file"


async def _job(session: AsyncSession, job_id: uuid.UUID, scope: DataScope) -> IngestJob:
    job = await session.get(IngestJob, job_id)
    if job is None:
        raise NotFound(f"import job {job_id} does not exist")
    if job.created_by != scope.principal.subject:
        scope.check_read(region_code=job.region_code, department_id=job.department_id)
    return job


@router.post(
    "",
    status_code=202,
    response_model=IngestJobRead,
    responses={403: {"description": "Read-only role"}, 415: {"description": "Not a CSV, XLSX or JSON-lines file"}},
)
async def upload_file(
    request: Request,
    session: SessionDep,
    scope: DataScopeDep,
    file: Annotated[
        UploadFile,
        File(
            description="CSV (UTF-8, UTF-8 with BOM or GBK; header row), XLSX (first worksheet; header row) "
            "or JSON lines; the file name's extension tells which."
        ),
    ],
    kind: Annotated[
        ObjectKind | None, Form(description="Kind of every row that has no `kind` (对象类型) column.")
    ] = None,
    source: Annotated[str | None, Form(max_length=100, description="Providing system, kept in lineage.")] = None,
) -> Any:
    """Import a file of supervised objects in the background; follow the job for progress and errors."""
    check = write_checker(scope)
    filename = file.filename or "upload.csv"
    try:
        file_format = format_for(filename)
    except UnreadableFile as exc:
        raise UnsupportedFile(str(exc)) from None
    settings: DatahubSettings = request.state.settings
    job_id = uuid.uuid4()
    path = ingestion_service.spool_path(settings, job_id, file_format.value)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        while chunk := await file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            await asyncio.to_thread(out.write, chunk)
    job = IngestJob(
        id=job_id,
        library="objects",
        status=ingestion_service.JobStatus.QUEUED,
        filename=filename[:300],
        file_format=file_format.value,
        default_kind=kind.value if kind else None,
        source=source or scope.principal.client_id or scope.principal.subject,
        file_sha256=digest.hexdigest(),
        size_bytes=size,
        rows_read=0,
        rows_accepted=0,
        rows_rejected=0,
        created=0,
        updated=0,
        unchanged=0,
        ignored_columns=[],
        created_by=scope.principal.subject,
        region_code=scope.principal.region_code,
        department_id=scope.department,
        write_scope=ingestion_service.scope_json(check),
    )
    session.add(job)
    await session.flush()
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker
    tasks: set[asyncio.Task[None]] = request.app.state.__dict__.setdefault("ingest_tasks", set())
    task = asyncio.create_task(
        ingestion_service.run_object_job(sessionmaker, job_id, path, options=ingestion_service.JobOptions.of(settings))
    )
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return IngestJobRead.model_validate(job)


@router.get("/{job_id}", response_model=IngestJobRead, responses={404: {"description": "No such job"}})
async def get_job(job_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get an import job: status and row counts."""
    return IngestJobRead.model_validate(await _job(session, job_id, scope))


@router.get("/{job_id}/errors", response_model=Page[RowErrorRead], responses={404: {"description": "No such job"}})
async def list_errors(job_id: uuid.UUID, session: SessionDep, scope: DataScopeDep, pagination: PaginationDep) -> Any:
    """List the refused rows of a job: row number, field and reason."""
    await _job(session, job_id, scope)
    statement = (
        select(IngestRowError)
        .where(IngestRowError.job_id == job_id)
        .order_by(IngestRowError.row_number, IngestRowError.id)
    )
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[RowErrorRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get(
    "/{job_id}/errors.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "row,field,reason"},
        404: {"description": "No such job"},
    },
)
async def download_errors(
    job_id: uuid.UUID, request: Request, session: SessionDep, scope: DataScopeDep
) -> StreamingResponse:
    """Download the per-row error report of a job as CSV (UTF-8 with BOM, opens in spreadsheet programs)."""
    await _job(session, job_id, scope)
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker

    async def body() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["row", "field", "reason"])
        yield ("\ufeff" + buffer.getvalue()).encode()
        # The request's session has committed by the time the body streams: read in a transaction of our own.
        async with sessionmaker() as own, own.begin():
            result = await own.stream(
                select(IngestRowError.row_number, IngestRowError.field, IngestRowError.reason)
                .where(IngestRowError.job_id == job_id)
                .order_by(IngestRowError.row_number, IngestRowError.id)
                .execution_options(yield_per=5000)
            )
            async for part in result.partitions():
                buffer.seek(0)
                buffer.truncate()
                writer.writerows(part)
                yield buffer.getvalue().encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="errors-{job_id}.csv"'},
    )
