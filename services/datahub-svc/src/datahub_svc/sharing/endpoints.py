"""HTTP interface of data sharing: datasets, scoped and masked queries and exports, the access log."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from datahub_svc.sharing import service as sharing_service
from datahub_svc.sharing.datasets import DATASETS, Dataset
from datahub_svc.sharing.models import AccessLogEntry
from datahub_svc.sharing.schemas import AccessLogRead, DatasetRead
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import AUDITOR, LEADER, PLATFORM_ADMIN, DataScopeDep, OutOfScope

router = APIRouter(prefix="/sharing", tags=["data sharing"])
FILTERS = ["region_code", "updated_since", "uscc", "object_id"]
MAX_EXPORT_ROWS = 1_000_000
LOG_READERS = frozenset({PLATFORM_ADMIN, AUDITOR, LEADER})

RegionQuery = Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")]
SinceQuery = Annotated[datetime | None, Query(description="Records changed at or after this time (incremental).")]
UsccQuery = Annotated[str | None, Query(max_length=18, description="Records of this credit code.")]
ObjectQuery = Annotated[uuid.UUID | None, Query(description="Records of this supervised object.")]


def _dataset(name: str) -> Dataset:
    dataset = DATASETS.get(name)
    if dataset is None:
        raise NotFound(f"no dataset {name!r}; see GET /v1/sharing/datasets")
    return dataset


def _json(value: Any) -> Any:
    if isinstance(value, (Decimal, uuid.UUID)) or type(value).__name__ == "UUID":  # asyncpg's UUID type too
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _row(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


@router.get("/datasets", response_model=list[DatasetRead])
async def list_datasets(scope: DataScopeDep) -> list[DatasetRead]:
    """The datasets shared with departments and agency systems, their fields and which are personal data."""
    return [
        DatasetRead(
            name=d.name,
            title=d.title,
            fields=list(d.columns),
            personal_fields=sorted(d.personal),
            department_scoped=d.department_scoped,
            filters=[f for f in FILTERS if (f != "uscc" or d.uscc_column) and (f != "object_id" or d.object_column)],
        )
        for d in DATASETS.values()
    ]


@router.get(
    "/datasets/{name}/records", response_model=Page[dict[str, Any]], responses={404: {"description": "No such dataset"}}
)
async def query_records(
    name: str,
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    region_code: RegionQuery = None,
    updated_since: SinceQuery = None,
    uscc: UsccQuery = None,
    object_id: ObjectQuery = None,
) -> Any:
    """Query a shared dataset within your data scope; personal data is masked by role; the access is logged."""
    dataset = _dataset(name)
    statement, masked = sharing_service.selection(
        dataset, scope, region_code=region_code, updated_since=updated_since, uscc=uscc, object_id=object_id
    )
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.execute(statement.offset(pagination.offset).limit(pagination.limit))).all()
    filters = {"region_code": region_code, "updated_since": updated_since, "uscc": uscc, "object_id": object_id}
    await sharing_service.log_access(
        session, scope, action="query", dataset=name, records=len(rows), masked=masked, filters=filters
    )
    body = {
        "items": [_row(r) for r in rows],
        "total": int(total or 0),
        "page": pagination.page,
        "limit": pagination.limit,
    }
    return Response(orjson.dumps(body, default=_json), media_type="application/json")


@router.get(
    "/datasets/{name}/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}, "text/csv": {}}, "description": "The records, streamed"},
        404: {"description": "No such dataset"},
    },
)
async def export_records(
    name: str,
    request: Request,
    session: SessionDep,
    scope: DataScopeDep,
    format: Annotated[Literal["jsonl", "csv"], Query(description="JSON lines or CSV (UTF-8 with BOM).")] = "jsonl",
    region_code: RegionQuery = None,
    updated_since: SinceQuery = None,
    uscc: UsccQuery = None,
    object_id: ObjectQuery = None,
    max_rows: Annotated[int, Query(ge=1, le=MAX_EXPORT_ROWS, description="At most this many records.")] = 100_000,
) -> StreamingResponse:
    """Export a shared dataset within your data scope, streamed; personal data masked by role; logged."""
    dataset = _dataset(name)
    statement, masked = sharing_service.selection(
        dataset, scope, region_code=region_code, updated_since=updated_since, uscc=uscc, object_id=object_id
    )
    statement = statement.limit(max_rows)
    count = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    filters = {
        "region_code": region_code,
        "updated_since": updated_since,
        "uscc": uscc,
        "object_id": object_id,
        "format": format,
        "max_rows": max_rows,
    }
    await sharing_service.log_access(
        session, scope, action="export", dataset=name, records=int(count or 0), masked=masked, filters=filters
    )
    sessionmaker: async_sessionmaker[AsyncSession] = request.state.sessionmaker

    async def body() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if format == "csv":
            writer.writerow(dataset.columns)
            yield ("\ufeff" + buffer.getvalue()).encode()
        # The request's session has committed (with the log entry) by the time the body streams.
        async with sessionmaker() as own, own.begin():
            result = await own.stream(statement.execution_options(yield_per=2000))
            async for part in result.partitions():
                if format == "jsonl":
                    yield b"".join(orjson.dumps(_row(r), default=_json) + b"\n" for r in part)
                else:
                    buffer.seek(0)
                    buffer.truncate()
                    writer.writerows(
                        [orjson.dumps(v).decode() if isinstance(v, (list, dict)) else v for v in r] for r in part
                    )
                    yield buffer.getvalue().encode()

    media = "application/x-ndjson" if format == "jsonl" else "text/csv; charset=utf-8"
    return StreamingResponse(
        body(), media_type=media, headers={"content-disposition": f'attachment; filename="{name}.{format}"'}
    )


@router.get("/access-log", response_model=Page[AccessLogRead], responses={403: {"description": "Not an auditor"}})
async def list_access_log(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    subject: Annotated[str | None, Query(max_length=200, description="Accesses of this user or client.")] = None,
    dataset: Annotated[str | None, Query(max_length=30, description="Accesses of this dataset.")] = None,
    since: Annotated[datetime | None, Query(description="Accesses at or after this time.")] = None,
) -> Page[AccessLogRead]:
    """Who read or exported which shared data (auditors, leaders and platform administrators; newest first)."""
    if not scope.principal.roles & LOG_READERS:
        raise OutOfScope("the access log is for auditors, leaders and platform administrators")
    log = AccessLogEntry
    statement = scope.filter(select(log), region=log.region_code)
    if subject:
        statement = statement.where(log.subject == subject)
    if dataset:
        statement = statement.where(log.dataset == dataset)
    if since:
        statement = statement.where(log.at >= since)
    items, total = await paginate(session, statement.order_by(log.id.desc()), pagination)
    return Page(
        items=[AccessLogRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )
