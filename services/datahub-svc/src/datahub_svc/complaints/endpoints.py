"""HTTP interface of the complaints library: push (single, batch), list and read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from datahub_svc.access import sees_personal_data, write_checker
from datahub_svc.cleaning.standardise import search_query
from datahub_svc.complaints import service as complaint_service
from datahub_svc.complaints.models import Complaint
from datahub_svc.complaints.schemas import ComplaintBatchIn, ComplaintIn, ComplaintRead
from datahub_svc.objects.endpoints import ERRORS, IdempotencyKeyHeader, _idempotent
from datahub_svc.personnel.schemas import PushResult
from datahub_svc.records import clean_all, provider_of, source_of
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/complaints", tags=["complaints"])
SORTABLE = {"received_at": Complaint.received_at, "modified_at": Complaint.modified_at}


def complaint_read(complaint: Complaint, scope: DataScope) -> ComplaintRead:
    read = ComplaintRead.model_validate(complaint)
    if not sees_personal_data(scope):
        read.complainant_name = complaint.complainant_name_masked
        read.complainant_phone = complaint.complainant_phone_masked
    return read


async def _push(session: SessionDep, scope: DataScope, items: list[ComplaintIn], source: str) -> PushResult:
    check, provider = write_checker(scope), provider_of(scope)
    rows = clean_all(
        items,
        lambda item, row: complaint_service.clean_complaint(item, row, source=source, provider=provider, check=check),
    )
    return PushResult(ids=await complaint_service.store(session, rows))


@router.post("", status_code=201, response_model=PushResult, responses=ERRORS)
async def push_complaint(
    body: ComplaintIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record one complaint or report (by channel and number) and link it to its object."""

    async def run() -> tuple[int, PushResult]:
        return 201, await _push(session, scope, [body], source_of(scope))

    return await _idempotent(session, scope, idempotency_key, "POST /complaints", body, run)


@router.post("/batch", response_model=PushResult, responses=ERRORS)
async def push_complaints(
    body: ComplaintBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record up to 1,000 complaints: all or, if any is invalid, none."""

    async def run() -> tuple[int, PushResult]:
        return 200, await _push(session, scope, body.items, source_of(scope, body.source))

    return await _idempotent(session, scope, idempotency_key, "POST /complaints/batch", body, run)


@router.get("", response_model=Page[ComplaintRead])
async def list_complaints(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words of the target, summary or category.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Complaints about this object.")] = None,
    status: Annotated[str | None, Query(max_length=20, description="Workflow status.")] = None,
    kind: Annotated[str | None, Query(max_length=20, description="complaint or report.")] = None,
    received_from: Annotated[datetime | None, Query(description="Received at or after.")] = None,
    received_until: Annotated[datetime | None, Query(description="Received before.")] = None,
    sort: Annotated[str | None, Query(description="received_at or modified_at, `-` for descending.")] = None,
) -> Page[ComplaintRead]:
    """List complaints within your data scope (your department's, for department roles)."""
    c = Complaint
    statement = scope.filter(select(c), region=c.region_code, department=c.department_id)
    if q and (tsquery := search_query(q)):
        statement = statement.where(c.search_vector.op("@@")(func.to_tsquery("simple", tsquery)))
    if region_code:
        statement = statement.where(c.region_code.startswith(region_code))
    if object_id:
        statement = statement.where(c.object_id == object_id)
    if status:
        statement = statement.where(c.status == status)
    if kind:
        statement = statement.where(c.kind == kind)
    if received_from:
        statement = statement.where(c.received_at >= received_from)
    if received_until:
        statement = statement.where(c.received_at < received_until)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-received_at"), c.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[complaint_read(i, scope) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{complaint_id}", response_model=ComplaintRead, responses={404: {"description": "No such complaint"}})
async def get_complaint(complaint_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one complaint."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} is not in the library")
    scope.check_read(region_code=complaint.region_code, department_id=complaint.department_id)
    return complaint_read(complaint, scope)
