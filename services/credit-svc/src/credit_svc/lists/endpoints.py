"""HTTP interface of department red and black lists and their entries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from credit_svc.audit.service import ActorDep
from credit_svc.lists import service as list_service
from credit_svc.lists.models import CreditList, DepartmentListType, ListStatus
from credit_svc.lists.schemas import EntryCreate, ListCreate, ListRead, ListUpdate
from credit_svc.records.models import CreditRecord, RecordStatus
from credit_svc.records.schemas import RecordRead
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/lists", tags=["lists"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope"},
    404: {"description": "No such list"},
    409: {"description": "Name taken, list archived or object listed already"},
    422: {"description": "Invalid list or entry"},
}


def _read(row: CreditList, counts: dict[uuid.UUID, int]) -> ListRead:
    read = ListRead.model_validate(row)
    read.active_entries = counts.get(row.id, 0)
    return read


@router.post("", status_code=201, response_model=ListRead, responses=ERRORS)
async def create_list(body: ListCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Create a department's red or black list (with `auto_classes`, it follows grades by itself)."""
    row = await list_service.create_list(session, actor, body)
    return _read(row, await list_service.active_counts(session, [row.id]))


@router.get("", response_model=Page[ListRead])
async def list_lists(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    list_type: Annotated[DepartmentListType | None, Query(description="red or black.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Lists of this department.")] = None,
    status: Annotated[ListStatus | None, Query(description="active or archived.")] = None,
) -> Page[ListRead]:
    """List department lists within your data scope."""
    statement = scope.filter(select(CreditList), region=CreditList.region_code, department=CreditList.department_id)
    if list_type:
        statement = statement.where(CreditList.list_type == list_type)
    if department_id:
        statement = statement.where(CreditList.department_id == department_id)
    if status:
        statement = statement.where(CreditList.status == status)
    rows, total = await paginate(session, statement.order_by(CreditList.created_at.desc(), CreditList.id), pagination)
    counts = await list_service.active_counts(session, [r.id for r in rows])
    return Page(items=[_read(r, counts) for r in rows], total=total, page=pagination.page, limit=pagination.limit)


@router.get("/{list_id}", response_model=ListRead, responses=ERRORS)
async def get_list(list_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one department list with its number of active entries."""
    row = await list_service.get_list(session, list_id)
    scope.check_read(region_code=row.region_code, department_id=row.department_id)
    return _read(row, await list_service.active_counts(session, [row.id]))


@router.patch("/{list_id}", response_model=ListRead, responses=ERRORS)
async def update_list(list_id: uuid.UUID, body: ListUpdate, session: SessionDep, actor: ActorDep) -> Any:
    """Change a list's description, validity or rule, or archive it."""
    row = await list_service.update_list(session, actor, list_id, body)
    return _read(row, await list_service.active_counts(session, [row.id]))


@router.post("/{list_id}/entries", status_code=201, response_model=RecordRead, responses=ERRORS)
async def add_entry(list_id: uuid.UUID, body: EntryCreate, session: SessionDep, actor: ActorDep) -> Any:
    """Put an object on the list by decision (its removal goes through POST /records/{id}/requests)."""
    return RecordRead.model_validate(await list_service.add_entry(session, actor, list_id, body))


@router.get("/{list_id}/entries", response_model=Page[RecordRead], responses=ERRORS)
async def list_entries(
    list_id: uuid.UUID,
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    status: Annotated[RecordStatus | None, Query(description="Only entries in this state (default: active).")] = None,
) -> Page[RecordRead]:
    """List the entries of a department list."""
    row = await list_service.get_list(session, list_id)
    scope.check_read(region_code=row.region_code, department_id=row.department_id)
    statement = (
        select(CreditRecord)
        .where(CreditRecord.list_id == list_id, CreditRecord.status == (status or RecordStatus.ACTIVE))
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.id)
    )
    rows, total = await paginate(session, statement, pagination)
    return Page(
        items=[RecordRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )
