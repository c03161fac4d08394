"""HTTP interface of the supervision-behaviour library: push (single, batch) and list."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from datahub_svc.access import InvalidRows, write_checker
from datahub_svc.behaviour import service as behaviour_service
from datahub_svc.behaviour.models import BehaviourRecord
from datahub_svc.behaviour.schemas import BehaviourBatchIn, BehaviourIn, BehaviourPushResult, BehaviourRead
from datahub_svc.objects.endpoints import ERRORS, IdempotencyKeyHeader, _idempotent
from supervision_schemas.datahub import BehaviourType
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/behaviour-records", tags=["supervision behaviour"])


async def _push(session: SessionDep, scope: DataScope, items: list[BehaviourIn], source: str) -> BehaviourPushResult:
    check = write_checker(scope)
    cleaned, errors = [], []
    for i, item in enumerate(items, start=1):
        values, row_errors = behaviour_service.clean_behaviour(
            item, i, source=source, scope_check=check, provider_department_id=scope.department
        )
        errors.extend(row_errors)
        if values is not None:
            cleaned.append(values)
    if errors:
        raise InvalidRows(
            f"{len({e[0] for e in errors})} of {len(items)} records are invalid; nothing was stored",
            errors=[{"row": r, "field": f, "reason": m} for r, f, m in errors],
        )
    stored, created = [], 0
    for values in cleaned:
        record, outcome = await behaviour_service.store(session, values)
        created += int(outcome == "created")
        stored.append(BehaviourRead.model_validate(record))
    return BehaviourPushResult(created=created, updated=len(stored) - created, items=stored)


@router.post("", status_code=201, response_model=BehaviourPushResult, responses=ERRORS)
async def push_record(
    body: BehaviourIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record one supervision act (inspection, penalty, enforcement measure, other) and link it to its object."""

    async def run() -> tuple[int, BehaviourPushResult]:
        return 201, await _push(session, scope, [body], scope.principal.client_id or scope.principal.subject)

    return await _idempotent(session, scope, idempotency_key, "POST /behaviour-records", body, run)


@router.post("/batch", response_model=BehaviourPushResult, responses=ERRORS)
async def push_records(
    body: BehaviourBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record up to 1,000 supervision acts: all or, if any is invalid, none."""

    async def run() -> tuple[int, BehaviourPushResult]:
        source = body.source or scope.principal.client_id or scope.principal.subject
        return 200, await _push(session, scope, body.items, source)

    return await _idempotent(session, scope, idempotency_key, "POST /behaviour-records/batch", body, run)


@router.get("", response_model=Page[BehaviourRead])
async def list_records(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    record_type: Annotated[BehaviourType | None, Query(description="Only this record type.")] = None,
    item_code: Annotated[str | None, Query(pattern=r"^\d{14}$", description="Only acts under this item.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Only acts on this supervised object.")] = None,
    link_method: Annotated[str | None, Query(description="exact, fuzzy, review or none.")] = None,
    acted_from: Annotated[date | None, Query(description="Acts on or after this date.")] = None,
    acted_until: Annotated[date | None, Query(description="Acts on or before this date.")] = None,
) -> Any:
    """List supervision acts within your data scope, newest first."""
    statement = scope.filter(
        select(BehaviourRecord), region=BehaviourRecord.region_code, department=BehaviourRecord.department_id
    )
    if record_type is not None:
        statement = statement.where(BehaviourRecord.record_type == record_type.value)
    if item_code:
        statement = statement.where(BehaviourRecord.item_code == item_code)
    if object_id:
        statement = statement.where(BehaviourRecord.object_id == object_id)
    if link_method:
        statement = statement.where(BehaviourRecord.link_method == link_method)
    if acted_from:
        statement = statement.where(BehaviourRecord.acted_on >= acted_from)
    if acted_until:
        statement = statement.where(BehaviourRecord.acted_on <= acted_until)
    statement = statement.order_by(BehaviourRecord.acted_on.desc(), BehaviourRecord.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[BehaviourRead.model_validate(r) for r in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{record_id}", response_model=BehaviourRead, responses={404: {"description": "No such record"}})
async def get_record(record_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one supervision act."""
    record = await session.get(BehaviourRecord, record_id)
    if record is None:
        raise NotFound(f"behaviour record {record_id} does not exist")
    scope.check_read(region_code=record.region_code, department_id=record.department_id)
    return BehaviourRead.model_validate(record)
