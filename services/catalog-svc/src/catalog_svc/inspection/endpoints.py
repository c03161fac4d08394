"""HTTP interface of inspection implementation lists (检查实施清单)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from catalog_svc.inspection import service as list_service
from catalog_svc.inspection.models import ListStatus
from catalog_svc.inspection.schemas import (
    FilledForm,
    FormCheck,
    InspectionListAbolition,
    InspectionListAdjustment,
    InspectionListCreate,
    InspectionListRead,
    ListVersionRead,
)
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/inspection-lists", tags=["inspection-lists"])


@router.post("", response_model=InspectionListRead, status_code=status.HTTP_201_CREATED, responses={409: {}})
async def create_list(data: InspectionListCreate, session: SessionDep, scope: DataScopeDep) -> InspectionListRead:
    """Draft an inspection implementation list with its inspection form."""
    return InspectionListRead.model_validate(await list_service.create(session, data=data, scope=scope))


@router.get("", response_model=Page[InspectionListRead])
async def list_lists(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    item_id: Annotated[uuid.UUID | None, Query(description="Only the lists of this item.")] = None,
    status: Annotated[ListStatus | None, Query(description="Only lists in this status.")] = None,
) -> Page[InspectionListRead]:
    """List inspection implementation lists."""
    rows, total = await list_service.list_lists(session, pagination, scope=scope, item_id=item_id, status=status)
    return Page(
        items=[InspectionListRead.model_validate(r) for r in rows],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/{list_id}", response_model=InspectionListRead, responses={404: {}})
async def get_list(list_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> InspectionListRead:
    """Get an inspection implementation list."""
    return InspectionListRead.model_validate(await list_service.get(session, list_id, scope))


@router.post("/{list_id}/publish", response_model=InspectionListRead, responses={404: {}, 409: {}})
async def publish_list(list_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> InspectionListRead:
    """Publish a list; its code (agency USCC + level digit + sequence) is generated now."""
    return InspectionListRead.model_validate(await list_service.publish(session, list_id, scope=scope))


@router.post("/{list_id}/adjust", response_model=InspectionListRead, responses={404: {}, 409: {}})
async def adjust_list(
    list_id: uuid.UUID, data: InspectionListAdjustment, session: SessionDep, scope: DataScopeDep
) -> InspectionListRead:
    """Adjust a published list (content, method, basis, frequency, scope or form): a new version, same code."""
    return InspectionListRead.model_validate(await list_service.adjust(session, list_id, data=data, scope=scope))


@router.post("/{list_id}/abolish", response_model=InspectionListRead, responses={404: {}, 409: {}})
async def abolish_list(
    list_id: uuid.UUID, data: InspectionListAbolition, session: SessionDep, scope: DataScopeDep
) -> InspectionListRead:
    """Abolish a list; its code is retired and never reused."""
    return InspectionListRead.model_validate(await list_service.abolish(session, list_id, data=data, scope=scope))


@router.get("/{list_id}/versions", response_model=list[ListVersionRead], responses={404: {}})
async def list_versions(list_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[ListVersionRead]:
    """Every version of a list since it was published (publication, adjustments, abolition), oldest first."""
    return [ListVersionRead.model_validate(v) for v in await list_service.versions(session, list_id, scope)]


@router.post("/{list_id}/form-check", response_model=FormCheck, responses={404: {}})
async def check_form(list_id: uuid.UUID, data: FilledForm, session: SessionDep, scope: DataScopeDep) -> FormCheck:
    """Check a filled inspection form against the list's form definition."""
    return await list_service.check_form(session, list_id, data.values, scope)
