"""HTTP interface of third-party and key-enterprise data: push (single, batch), list and read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from datahub_svc.access import write_checker
from datahub_svc.cleaning.standardise import search_query
from datahub_svc.objects.endpoints import ERRORS, IdempotencyKeyHeader, _idempotent
from datahub_svc.personnel.schemas import PushResult
from datahub_svc.records import clean_all, provider_of, source_of
from datahub_svc.thirdparty import service as thirdparty_service
from datahub_svc.thirdparty.models import ThirdPartyRecord
from datahub_svc.thirdparty.schemas import ThirdPartyBatchIn, ThirdPartyIn, ThirdPartyKind, ThirdPartyRead
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/thirdparty-records", tags=["third-party data"])
SORTABLE = {"observed_at": ThirdPartyRecord.observed_at}


async def _push(session: SessionDep, scope: DataScope, items: list[ThirdPartyIn], source: str) -> PushResult:
    check, provider = write_checker(scope), provider_of(scope)
    rows = clean_all(
        items,
        lambda item, row: thirdparty_service.clean_observation(
            item, row, source=source, provider=provider, check=check
        ),
    )
    return PushResult(ids=await thirdparty_service.store(session, rows))


@router.post("", status_code=201, response_model=PushResult, responses=ERRORS)
async def push_observation(
    body: ThirdPartyIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record one observation (public opinion, production figures, a monitoring reading) and link its object."""

    async def run() -> tuple[int, PushResult]:
        return 201, await _push(session, scope, [body], source_of(scope))

    return await _idempotent(session, scope, idempotency_key, "POST /thirdparty-records", body, run)


@router.post("/batch", response_model=PushResult, responses=ERRORS)
async def push_observations(
    body: ThirdPartyBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record up to 1,000 observations: all or, if any is invalid, none."""

    async def run() -> tuple[int, PushResult]:
        return 200, await _push(session, scope, body.items, source_of(scope, body.source))

    return await _idempotent(session, scope, idempotency_key, "POST /thirdparty-records/batch", body, run)


@router.get("", response_model=Page[ThirdPartyRead])
async def list_observations(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words of the object, excerpt or channel.")] = None,
    kind: Annotated[ThirdPartyKind | None, Query(description="Only this kind.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Observations of this object.")] = None,
    threshold_exceeded: Annotated[bool | None, Query(description="Only readings over (or under) threshold.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    observed_from: Annotated[datetime | None, Query(description="Observed at or after.")] = None,
    sort: Annotated[str | None, Query(description="observed_at, `-` for descending.")] = None,
) -> Page[ThirdPartyRead]:
    """List third-party observations of your region (shared across departments)."""
    r = ThirdPartyRecord
    statement = scope.filter(select(r), region=r.region_code)
    if q and (tsquery := search_query(q)):
        statement = statement.where(r.search_vector.op("@@")(func.to_tsquery("simple", tsquery)))
    if kind:
        statement = statement.where(r.kind == kind.value)
    if object_id:
        statement = statement.where(r.object_id == object_id)
    if threshold_exceeded is not None:
        statement = statement.where(r.threshold_exceeded == threshold_exceeded)
    if region_code:
        statement = statement.where(r.region_code.startswith(region_code))
    if observed_from:
        statement = statement.where(r.observed_at >= observed_from)
    statement = statement.order_by(*order_by(sort, SORTABLE, "-observed_at"), r.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[ThirdPartyRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{record_id}", response_model=ThirdPartyRead, responses={404: {"description": "No such record"}})
async def get_observation(record_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one third-party observation."""
    record = await session.get(ThirdPartyRecord, record_id)
    if record is None:
        raise NotFound(f"observation {record_id} is not in the library")
    scope.check_read(region_code=record.region_code)
    return ThirdPartyRead.model_validate(record)
