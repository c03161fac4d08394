"""Supervision routes (which department supervises an item and industry in a region) and the directory."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import SQLColumnExpression, select

from joint_svc.routing import service as routing_service
from joint_svc.routing.models import Department, SupervisionRoute
from joint_svc.routing.schemas import DepartmentRead, RouteCreate, RouteRead, SupervisorRead
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["routing"])
_SORT: dict[str, SQLColumnExpression[Any]] = {
    "created_at": SupervisionRoute.created_at,
    "region_code": SupervisionRoute.region_code,
}
_DEPT_SORT: dict[str, SQLColumnExpression[Any]] = {"name": Department.name, "region_code": Department.region_code}


@router.get("/routes", response_model=Page[RouteRead])
async def list_routes(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    item_code: Annotated[str | None, Query(pattern=r"^\d{14}$", description="Only routes of this item.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Only routes to this department.")] = None,
    sort: Annotated[str | None, Query(description="Sort by created_at or region_code; '-' for descending.")] = None,
) -> Page[RouteRead]:
    """List the supervision routes of your region."""
    stmt = routing_service.readable_routes(scope)
    if item_code is not None:
        stmt = stmt.where(SupervisionRoute.item_code == item_code)
    if department_id is not None:
        stmt = stmt.where(SupervisionRoute.department_id == department_id)
    stmt = stmt.order_by(*order_by(sort, _SORT, "-created_at"), SupervisionRoute.id)
    items, total = await paginate(session, stmt, pagination)
    return Page(
        items=[RouteRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.post(
    "/routes",
    response_model=RouteRead,
    status_code=201,
    responses={409: {"description": "A route for this item, industry and region exists."}},
)
async def create_route(
    body: RouteCreate, session: SessionDep, scope: DataScopeDep, principal: CurrentPrincipal
) -> SupervisionRoute:
    """Name the supervising department for an item and/or industry within a region (department administrators)."""
    return await routing_service.create_route(session, scope, body, actor=principal.subject)


@router.delete("/routes/{route_id}", status_code=204, responses={404: {"description": "No such route in scope."}})
async def delete_route(route_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Response:
    """Remove a supervision route."""
    await routing_service.delete_route(session, scope, route_id)
    return Response(status_code=204)


@router.get(
    "/routes/resolve", response_model=SupervisorRead, responses={404: {"description": "Nothing names a department."}}
)
async def resolve_route(
    session: SessionDep,
    scope: DataScopeDep,
    region_code: Annotated[str, Query(pattern=r"^\d{6}$", description="Where the matter is.")],
    item_code: Annotated[str | None, Query(pattern=r"^\d{14}$", description="The supervision item.")] = None,
    industry_code: Annotated[str | None, Query(pattern=r"^[A-T](\d{2,4})?$", description="GB/T 4754 code.")] = None,
) -> SupervisorRead:
    """Which department supervises this item and industry in this region (routes first, then the catalog)."""
    found = await routing_service.resolve_supervisor(
        session, item_code=item_code, industry_code=industry_code, region_code=region_code
    )
    if found is None:
        raise NotFound("no route or catalog item names a supervising department for this item, industry and region")
    return SupervisorRead(department_id=found.department_id, name=found.name, region_code=found.region_code)


@router.get("/departments", response_model=Page[DepartmentRead])
async def list_departments(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code prefix.")] = None,
    department_type: Annotated[str | None, Query(max_length=50, description="e.g. market_regulation.")] = None,
    sort: Annotated[str | None, Query(description="Sort by name or region_code; '-' for descending.")] = None,
) -> Page[DepartmentRead]:
    """List the departments tasks can be sent to (the organisation tree as auth-svc publishes it)."""
    stmt = select(Department).where(Department.active.is_(True))
    if region_code is not None:
        stmt = stmt.where(Department.region_code.startswith(region_code, autoescape=True))
    if department_type is not None:
        stmt = stmt.where(Department.department_type == department_type)
    stmt = stmt.order_by(*order_by(sort, _DEPT_SORT, "region_code,name"), Department.department_id)
    items, total = await paginate(session, stmt, pagination)
    return Page(
        items=[DepartmentRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )
