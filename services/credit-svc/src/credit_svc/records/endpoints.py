"""HTTP interface of credit records and of their removal (移出) and repair (信用修复) requests."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from credit_svc.audit.service import ActorDep
from credit_svc.records import service as record_service
from credit_svc.records.models import CreditRecord, RecordRequest, RecordStatus, RecordType, RequestKind, RequestStatus
from credit_svc.records.schemas import DecisionIn, RecordCreate, RecordRead, RequestCreate, RequestRead, ReviewIn
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["records"])
SORTABLE = {"decided_on": CreditRecord.decided_on, "created_at": CreditRecord.created_at}
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope, or a role or separation-of-duties rule"},
    404: {"description": "Not found"},
    409: {"description": "Not allowed in the current state"},
}


@router.post("/records", status_code=201, response_model=RecordRead, responses=ERRORS)
async def create_record(body: RecordCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Enter a credit record (penalty, abnormal-operation or serious-violation entry, commendation)."""
    return RecordRead.model_validate(await record_service.create_record(session, actor, body))


@router.get("/records", response_model=Page[RecordRead])
async def list_records(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    object_id: Annotated[uuid.UUID | None, Query(description="Records of this object.")] = None,
    uscc: Annotated[str | None, Query(min_length=18, max_length=18, description="Records of this credit code.")] = None,
    record_type: Annotated[RecordType | None, Query(description="Only this type.")] = None,
    status: Annotated[RecordStatus | None, Query(description="Only records in this state.")] = None,
    list_id: Annotated[uuid.UUID | None, Query(description="Entries of this department list.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Decided by this department.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    sort: Annotated[str | None, Query(description="decided_on or created_at, `-` for descending.")] = None,
) -> Page[RecordRead]:
    """List credit records within your data scope."""
    statement = record_service.readable_records(scope)
    if object_id:
        statement = statement.where(CreditRecord.object_id == object_id)
    if uscc:
        statement = statement.where(CreditRecord.uscc == uscc.upper())
    if record_type:
        statement = statement.where(CreditRecord.record_type == record_type)
    if status:
        statement = statement.where(CreditRecord.status == status)
    if list_id:
        statement = statement.where(CreditRecord.list_id == list_id)
    if department_id:
        statement = statement.where(CreditRecord.department_id == department_id)
    if region_code:
        statement = statement.where(CreditRecord.region_code.startswith(region_code))
    statement = statement.order_by(*order_by(sort, SORTABLE, "-decided_on"), CreditRecord.id)
    rows, total = await paginate(session, statement, pagination)
    return Page(
        items=[RecordRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/records/{record_id}", response_model=RecordRead, responses=ERRORS)
async def get_record(record_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one credit record."""
    record = await record_service.get_record(session, record_id)
    scope.check_read(region_code=record.region_code, department_id=record.department_id)
    return RecordRead.model_validate(record)


@router.post("/records/{record_id}/requests", status_code=201, response_model=RequestRead, responses=ERRORS)
async def submit_request(record_id: uuid.UUID, body: RequestCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Apply for the removal (移出) or credit repair (信用修复) of a record."""
    return RequestRead.model_validate(await record_service.submit_request(session, actor, record_id, body))


@router.get("/requests", response_model=Page[RequestRead])
async def list_requests(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[RequestStatus | None, Query(description="Only requests in this state.")] = None,
    kind: Annotated[RequestKind | None, Query(description="removal or repair.")] = None,
    record_id: Annotated[uuid.UUID | None, Query(description="Requests about this record.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Requests about this object.")] = None,
) -> Page[RequestRead]:
    """List removal and repair requests within your data scope, newest first."""
    statement = scope.filter(
        select(RecordRequest), region=RecordRequest.region_code, department=RecordRequest.department_id
    )
    if status:
        statement = statement.where(RecordRequest.status == status)
    if kind:
        statement = statement.where(RecordRequest.kind == kind)
    if record_id:
        statement = statement.where(RecordRequest.record_id == record_id)
    if object_id:
        statement = statement.where(RecordRequest.object_id == object_id)
    statement = statement.order_by(RecordRequest.created_at.desc(), RecordRequest.id)
    rows, total = await paginate(session, statement, pagination)
    return Page(
        items=[RequestRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/requests/{request_id}", response_model=RequestRead, responses=ERRORS)
async def get_request(request_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one removal or repair request."""
    request = await record_service.get_request(session, request_id)
    scope.check_read(region_code=request.region_code, department_id=request.department_id)
    return RequestRead.model_validate(request)


@router.post("/requests/{request_id}/review", response_model=RequestRead, responses=ERRORS)
async def review_request(request_id: uuid.UUID, body: ReviewIn, session: SessionDep, actor: ActorDep) -> Any:
    """Review a submitted request (审核): opinion and recommendation of the deciding department."""
    return RequestRead.model_validate(await record_service.review_request(session, actor, request_id, body))


@router.post("/requests/{request_id}/approve", response_model=RequestRead, responses=ERRORS)
async def approve_request(request_id: uuid.UUID, body: DecisionIn, session: SessionDep, actor: ActorDep) -> Any:
    """Approve a reviewed request: the record is removed or repaired and the object regraded."""
    return RequestRead.model_validate(
        await record_service.decide_request(session, actor, request_id, body, approve=True)
    )


@router.post("/requests/{request_id}/refuse", response_model=RequestRead, responses=ERRORS)
async def refuse_request(request_id: uuid.UUID, body: DecisionIn, session: SessionDep, actor: ActorDep) -> Any:
    """Refuse a reviewed request, with the reason; the record stays as it is."""
    return RequestRead.model_validate(
        await record_service.decide_request(session, actor, request_id, body, approve=False)
    )
