"""HTTP interface of the credit library: push (single, batch), list and read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from datahub_svc.access import write_checker
from datahub_svc.credit import service as credit_service
from datahub_svc.credit.models import CreditRecord
from datahub_svc.credit.schemas import CreditBatchIn, CreditRecordIn, CreditRecordRead, CreditRecordType
from datahub_svc.objects.endpoints import ERRORS, IdempotencyKeyHeader, _idempotent
from datahub_svc.personnel.schemas import PushResult
from datahub_svc.records import clean_all, provider_of, source_of
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/credit-records", tags=["credit"])
SORTABLE = {"occurred_at": CreditRecord.occurred_at, "name": CreditRecord.name}


async def _push(session: SessionDep, scope: DataScope, items: list[CreditRecordIn], source: str) -> PushResult:
    check, provider = write_checker(scope), provider_of(scope)
    rows = clean_all(
        items, lambda item, row: credit_service.clean_record(item, row, source=source, provider=provider, check=check)
    )
    return PushResult(ids=await credit_service.store(session, rows))


@router.post("", status_code=201, response_model=PushResult, responses=ERRORS)
async def push_credit_record(
    body: CreditRecordIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record one credit grade or list entry of another agency and link it to its object."""

    async def run() -> tuple[int, PushResult]:
        return 201, await _push(session, scope, [body], source_of(scope))

    return await _idempotent(session, scope, idempotency_key, "POST /credit-records", body, run)


@router.post("/batch", response_model=PushResult, responses=ERRORS)
async def push_credit_records(
    body: CreditBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record up to 1,000 credit grades or list entries: all or, if any is invalid, none."""

    async def run() -> tuple[int, PushResult]:
        return 200, await _push(session, scope, body.items, source_of(scope, body.source))

    return await _idempotent(session, scope, idempotency_key, "POST /credit-records/batch", body, run)


@router.get("", response_model=Page[CreditRecordRead])
async def list_credit_records(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    record_type: Annotated[CreditRecordType | None, Query(description="grade or list_entry.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Records of this object.")] = None,
    uscc: Annotated[str | None, Query(max_length=18, description="Unified social credit code.")] = None,
    list_type: Annotated[str | None, Query(max_length=30, description="red, black, abnormal_operation...")] = None,
    risk_class: Annotated[str | None, Query(max_length=2, description="Grades of this class.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    sort: Annotated[str | None, Query(description="occurred_at or name, `-` for descending.")] = None,
) -> Page[CreditRecordRead]:
    """List credit grades and list entries of your region (credit information is shared across departments)."""
    r = CreditRecord
    statement = scope.filter(select(r), region=r.region_code)
    if record_type:
        statement = statement.where(r.record_type == record_type.value)
    if object_id:
        statement = statement.where(r.object_id == object_id)
    if uscc:
        statement = statement.where(r.uscc == uscc.upper())
    if list_type:
        statement = statement.where(r.list_type == list_type)
    if risk_class:
        statement = statement.where(r.risk_class == risk_class.upper())
    if region_code:
        statement = statement.where(r.region_code.startswith(region_code))
    statement = statement.order_by(*order_by(sort, SORTABLE, "-occurred_at"), r.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[CreditRecordRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{record_id}", response_model=CreditRecordRead, responses={404: {"description": "No such record"}})
async def get_credit_record(record_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one credit grade or list entry."""
    record = await session.get(CreditRecord, record_id)
    if record is None:
        raise NotFound(f"credit record {record_id} is not in the library")
    scope.check_read(region_code=record.region_code)
    return CreditRecordRead.model_validate(record)
