"""HTTP interface of the enforcement-personnel library: push (single, batch), list and read."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, or_, select

from datahub_svc.access import sees_personal_data, write_checker
from datahub_svc.cleaning.standardise import search_query
from datahub_svc.objects.endpoints import ERRORS, IdempotencyKeyHeader, _idempotent
from datahub_svc.personnel import service as personnel_service
from datahub_svc.personnel.models import EnforcementOfficer
from datahub_svc.personnel.schemas import OfficerBatchIn, OfficerIn, OfficerRead, OfficerStatus, PushResult
from datahub_svc.records import clean_all, provider_of, source_of
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/personnel", tags=["enforcement personnel"])
SORTABLE = {"name": EnforcementOfficer.name, "modified_at": EnforcementOfficer.modified_at}


def officer_read(officer: EnforcementOfficer, scope: DataScope) -> OfficerRead:
    read = OfficerRead.model_validate(officer)
    if not sees_personal_data(scope):
        read.id_number = officer.id_number_masked
        read.phone = officer.phone_masked
    return read


async def _push(session: SessionDep, scope: DataScope, items: list[OfficerIn], source: str) -> PushResult:
    check, provider = write_checker(scope), provider_of(scope)
    rows = clean_all(
        items,
        lambda item, row: personnel_service.clean_officer(item, row, source=source, provider=provider, check=check),
    )
    return PushResult(ids=await personnel_service.store(session, rows))


@router.post("", status_code=201, response_model=PushResult, responses=ERRORS)
async def push_officer(
    body: OfficerIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record one enforcement officer (by certificate number): created, or the stored record updated."""

    async def run() -> tuple[int, PushResult]:
        return 201, await _push(session, scope, [body], source_of(scope))

    return await _idempotent(session, scope, idempotency_key, "POST /personnel", body, run)


@router.post("/batch", response_model=PushResult, responses=ERRORS)
async def push_officers(
    body: OfficerBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Record up to 1,000 enforcement officers: all or, if any is invalid, none."""

    async def run() -> tuple[int, PushResult]:
        return 200, await _push(session, scope, body.items, source_of(scope, body.source))

    return await _idempotent(session, scope, idempotency_key, "POST /personnel/batch", body, run)


@router.get("", response_model=Page[OfficerRead])
async def list_officers(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words of the name, certificate or unit.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Officers of this department.")] = None,
    certificate_number: Annotated[str | None, Query(max_length=50, description="执法证号.")] = None,
    qualification: Annotated[str | None, Query(max_length=100, description="Holding this qualification.")] = None,
    status: Annotated[OfficerStatus | None, Query(description="active, disabled or left.")] = None,
    certificate_valid_on: Annotated[
        date | None, Query(description="Only officers whose certificate is valid on this day.")
    ] = None,
    sort: Annotated[str | None, Query(description="name or modified_at, `-` for descending.")] = None,
) -> Page[OfficerRead]:
    """List enforcement officers of your region (the inspector database is shared across departments)."""
    o = EnforcementOfficer
    statement = scope.filter(select(o), region=o.region_code)
    if q and (tsquery := search_query(q)):
        statement = statement.where(o.search_vector.op("@@")(func.to_tsquery("simple", tsquery)))
    if region_code:
        statement = statement.where(o.region_code.startswith(region_code))
    if department_id:
        statement = statement.where(o.department_id == department_id)
    if certificate_number:
        statement = statement.where(o.certificate_number == certificate_number)
    if qualification:
        statement = statement.where(o.qualifications.any(qualification))  # type: ignore[arg-type]  # ARRAY comparator: value = ANY(column)
    if status:
        statement = statement.where(o.status == status.value)
    if certificate_valid_on:
        statement = statement.where(
            or_(o.certificate_valid_from.is_(None), o.certificate_valid_from <= certificate_valid_on),
            or_(o.certificate_valid_until.is_(None), o.certificate_valid_until >= certificate_valid_on),
        )
    statement = statement.order_by(*order_by(sort, SORTABLE, "name"), o.id)
    items, total = await paginate(session, statement, pagination)
    return Page(
        items=[officer_read(i, scope) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{officer_id}", response_model=OfficerRead, responses={404: {"description": "No such officer"}})
async def get_officer(officer_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one enforcement officer."""
    officer = await session.get(EnforcementOfficer, officer_id)
    if officer is None:
        raise NotFound(f"officer {officer_id} is not in the library")
    scope.check_read(region_code=officer.region_code)
    return officer_read(officer, scope)
