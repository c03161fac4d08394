"""HTTP interface of the list and the two databases (一单两库)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from random_check_svc.library import service as library_service
from random_check_svc.library.models import ObjectStatus
from random_check_svc.library.schemas import (
    ConflictCreate,
    ConflictRead,
    InspectionFormRead,
    InspectorRead,
    ItemRead,
    ObjectRead,
    ObjectStatusUpdate,
)
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import DataScopeDep

items_router = APIRouter(prefix="/items", tags=["list and databases"])
objects_router = APIRouter(prefix="/objects", tags=["list and databases"])
inspectors_router = APIRouter(prefix="/inspectors", tags=["list and databases"])
conflicts_router = APIRouter(prefix="/conflicts", tags=["list and databases"])

SortQuery = Annotated[str | None, Query(description="Sort keys, comma-separated, `-` for descending.")]


@items_router.get("", response_model=Page[ItemRead])
async def list_items(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words of the name, or the start of the code.")] = None,
    domain: Annotated[str | None, Query(max_length=60, description="Field of supervision (业务领域).")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Items of this department.")] = None,
    all_items: Annotated[
        bool, Query(description="Also items not on the random-check list, and abolished ones.")
    ] = False,
    sort: SortQuery = None,
) -> Page[ItemRead]:
    """List the random-check item list (一单): items of your region and the regions above it."""
    rows, total = await library_service.list_items(
        session,
        pagination,
        scope=scope,
        q=q,
        domain=domain,
        department_id=department_id,
        all_items=all_items,
        sort=sort,
    )
    return Page(
        items=[ItemRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@items_router.get("/{code}", response_model=ItemRead, responses={404: {}})
async def get_item(code: str, session: SessionDep, scope: DataScopeDep) -> ItemRead:
    """Get a supervision item by its 14-digit code."""
    return ItemRead.model_validate(await library_service.get_item(session, code))


@items_router.get("/{code}/form", response_model=InspectionFormRead | None, responses={404: {}})
async def get_item_form(code: str, session: SessionDep, scope: DataScopeDep) -> InspectionFormRead | None:
    """Get the inspection form (of the newest inspection implementation list) results of this item are entered on."""
    await library_service.get_item(session, code)
    form = (await library_service.forms_for(session, [code])).get(code)
    return InspectionFormRead.model_validate(form) if form else None


@objects_router.get("", response_model=Page[ObjectRead])
async def list_objects(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description="Objects of this region subtree.")] = None,
    credit_class: Annotated[str | None, Query(max_length=2, description="Credit risk class.")] = None,
    status: Annotated[ObjectStatus | None, Query(description="Object status.")] = None,
    kind: Annotated[str | None, Query(max_length=20, description="Object kind, e.g. legal_person.")] = None,
    industry_code: Annotated[str | None, Query(max_length=10, description="Industry code prefix.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Words of the name, or a credit code.")] = None,
    sort: SortQuery = None,
) -> Page[ObjectRead]:
    """List the object database (对象库) with credit classes, within your region."""
    rows, total = await library_service.list_objects(
        session,
        pagination,
        scope=scope,
        region_code=region_code,
        credit_class=credit_class,
        status=status,
        kind=kind,
        industry_code=industry_code,
        q=q,
        sort=sort,
    )
    return Page(
        items=[ObjectRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@objects_router.get("/{object_id}", response_model=ObjectRead, responses={404: {}})
async def get_object(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> ObjectRead:
    """Get a supervised object of the object database."""
    return ObjectRead.model_validate(await library_service.get_object(session, object_id, scope))


@objects_router.put("/{object_id}/status", response_model=ObjectRead, responses={403: {}, 404: {}, 409: {}})
async def set_object_status(
    object_id: uuid.UUID, data: ObjectStatusUpdate, session: SessionDep, scope: DataScopeDep
) -> ObjectRead:
    """Mark an object deregistered (注销/吊销/关闭: never drawn) or active again, with a reason."""
    return ObjectRead.model_validate(await library_service.set_object_status(session, object_id, data, scope))


@inspectors_router.get("", response_model=Page[InspectorRead])
async def list_inspectors(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    department_id: Annotated[uuid.UUID | None, Query(description="Inspectors of this department.")] = None,
    qualified_for: Annotated[
        str | None, Query(max_length=100, description="Holding this qualification (domain or item code).")
    ] = None,
    valid_on: Annotated[date | None, Query(description="Active with a certificate valid on this date.")] = None,
    status: Annotated[str | None, Query(max_length=10, description="active, disabled or left.")] = None,
    sort: SortQuery = None,
) -> Page[InspectorRead]:
    """List the inspector database (检查人员库) of your department (leaders: your region)."""
    rows, total = await library_service.list_inspectors(
        session,
        pagination,
        scope=scope,
        department_id=department_id,
        qualified_for=qualified_for,
        valid_on=valid_on,
        status=status,
        sort=sort,
    )
    return Page(
        items=[InspectorRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@inspectors_router.get("/{user_id}", response_model=InspectorRead, responses={404: {}})
async def get_inspector(user_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> InspectorRead:
    """Get an inspector of the inspector database."""
    return InspectorRead.model_validate(await library_service.get_inspector(session, user_id, scope))


@conflicts_router.post(
    "", response_model=ConflictRead, status_code=status.HTTP_201_CREATED, responses={403: {}, 409: {}, 422: {}}
)
async def declare_conflict(data: ConflictCreate, session: SessionDep, scope: DataScopeDep) -> ConflictRead:
    """Declare a conflict of interest (回避): the inspector is never drawn for the object."""
    return ConflictRead.model_validate(await library_service.declare_conflict(session, data, scope))


@conflicts_router.get("", response_model=Page[ConflictRead])
async def list_conflicts(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    inspector_id: Annotated[uuid.UUID | None, Query(description="Declarations of this inspector.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Declarations about this object.")] = None,
    active: Annotated[bool | None, Query(description="Only standing (true) or withdrawn (false) ones.")] = None,
) -> Page[ConflictRead]:
    """List declared conflicts of interest of your department."""
    rows, total = await library_service.list_conflicts(
        session, pagination, scope=scope, inspector_id=inspector_id, object_id=object_id, active=active
    )
    return Page(
        items=[ConflictRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@conflicts_router.delete("/{conflict_id}", response_model=ConflictRead, responses={403: {}, 404: {}, 409: {}})
async def withdraw_conflict(conflict_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> ConflictRead:
    """Withdraw a declared conflict (it stays on record with who withdrew it and when)."""
    return ConflictRead.model_validate(await library_service.withdraw_conflict(session, conflict_id, scope))
