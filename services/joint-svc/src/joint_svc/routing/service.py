"""Finding departments: the directory, the supervising department of an item and industry, the level above."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.routing.models import CatalogItem, Department, SupervisionRoute
from joint_svc.routing.schemas import RouteCreate
from svc_runtime.problems import NotFound, Problem
from svc_runtime.scope import DataScope, OutOfScope, region_prefix


class UnknownDepartment(Problem):
    status = 422
    title = "Unknown department"


class RouteNotFound(NotFound):
    title = "Route not found"


@dataclass(frozen=True)
class DepartmentRef:
    department_id: uuid.UUID
    name: str
    region_code: str


async def department(session: AsyncSession, department_id: uuid.UUID) -> Department | None:
    return await session.get(Department, department_id)


async def departments(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, DepartmentRef]:
    """The known departments among these ids, in one query."""
    if not ids:
        return {}
    rows = (await session.scalars(select(Department).where(Department.department_id.in_(ids)))).all()
    return {r.department_id: DepartmentRef(r.department_id, r.name, r.region_code) for r in rows}


async def require_department(session: AsyncSession, department_id: uuid.UUID, field: str) -> DepartmentRef:
    """The department named by a request field; 422 naming the field when the directory does not know it."""
    row = await session.get(Department, department_id)
    if row is None or not row.active:
        raise UnknownDepartment(
            f"{field}: department {department_id} is not an active department of the organisation tree",
            errors=[{"loc": ["body", field], "msg": "unknown or inactive department", "type": "value_error"}],
        )
    return DepartmentRef(row.department_id, row.name, row.region_code)


async def by_credit_code(session: AsyncSession, credit_code: str) -> DepartmentRef | None:
    row = (
        await session.scalars(
            select(Department).where(Department.credit_code == credit_code, Department.active.is_(True)).limit(1)
        )
    ).first()
    return DepartmentRef(row.department_id, row.name, row.region_code) if row else None


def parent_region(region_code: str) -> str | None:
    """The region one level up (county → city → province), None above a province."""
    prefix = region_prefix(region_code)
    if len(prefix) == 6:
        return region_code[:4] + "00"
    if len(prefix) == 4:
        return region_code[:2] + "0000"
    return None


async def supervisor_of(session: AsyncSession, department_id: uuid.UUID | None) -> DepartmentRef | None:
    """The supervising level of a department: its parent, else the department of its type one region up."""
    if department_id is None:
        return None
    row = await session.get(Department, department_id)
    if row is None:
        return None
    if row.parent_id is not None:
        parent = await session.get(Department, row.parent_id)
        if parent is not None and parent.active:
            return DepartmentRef(parent.department_id, parent.name, parent.region_code)
    up = parent_region(row.region_code)
    if up is None:
        return None
    candidate = (
        await session.scalars(
            select(Department)
            .where(
                Department.region_code == up,
                Department.department_type == row.department_type,
                Department.active.is_(True),
            )
            .order_by(Department.name)
            .limit(1)
        )
    ).first()
    return DepartmentRef(candidate.department_id, candidate.name, candidate.region_code) if candidate else None


def _route_candidates(item_code: str | None, industry_code: str | None) -> Select[SupervisionRoute]:
    r = SupervisionRoute
    return select(r).where(
        or_(r.item_code.is_(None), r.item_code == item_code) if item_code else r.item_code.is_(None),
        or_(r.industry_code.is_(None), literal(industry_code).startswith(r.industry_code))
        if industry_code
        else r.industry_code.is_(None),
    )


def _specificity(route: SupervisionRoute) -> tuple[int, int, int]:
    """An item match first, then the longest industry prefix, then the smallest region."""
    return (route.item_code is not None, len(route.industry_code or ""), len(region_prefix(route.region_code)))


async def resolve_supervisor(
    session: AsyncSession, *, item_code: str | None, industry_code: str | None, region_code: str
) -> DepartmentRef | None:
    """The supervising department for an item and industry in a region: a route first, else the catalog item."""
    routes = [
        r
        for r in (await session.scalars(_route_candidates(item_code, industry_code))).all()
        if region_code.startswith(region_prefix(r.region_code))
    ]
    if routes:
        route = max(routes, key=_specificity)
        return DepartmentRef(route.department_id, route.department_name, route.region_code)
    if item_code:
        item = await session.get(CatalogItem, item_code)
        if item is not None and item.active and item.department_id is not None:
            dept = await session.get(Department, item.department_id)
            if dept is not None and dept.active:
                return DepartmentRef(dept.department_id, dept.name, dept.region_code)
    return None


async def create_route(session: AsyncSession, scope: DataScope, body: RouteCreate, *, actor: str) -> SupervisionRoute:
    if scope.read_only:
        raise OutOfScope("your role may read but not change data")
    if not scope.unrestricted and "department_admin" not in scope.principal.roles:
        raise OutOfScope("only department administrators maintain supervision routes")
    scope.check_write(region_code=body.region_code)
    dept = await require_department(session, body.department_id, "department_id")
    route = SupervisionRoute(
        item_code=body.item_code,
        industry_code=body.industry_code,
        region_code=body.region_code,
        department_id=dept.department_id,
        department_name=dept.name,
        note=body.note,
        created_by=actor,
    )
    session.add(route)
    await session.flush()
    return route


def readable_routes(scope: DataScope) -> Select[SupervisionRoute]:
    return scope.filter(select(SupervisionRoute), region=SupervisionRoute.region_code)


async def delete_route(session: AsyncSession, scope: DataScope, route_id: uuid.UUID) -> None:
    route = await session.get(SupervisionRoute, route_id)
    if route is None or not scope.can_read(region_code=route.region_code):
        raise RouteNotFound(f"no route {route_id}")
    if not scope.unrestricted and "department_admin" not in scope.principal.roles:
        raise OutOfScope("only department administrators maintain supervision routes")
    scope.check_write(region_code=route.region_code)
    await session.delete(route)
