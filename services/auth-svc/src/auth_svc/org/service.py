"""Regions and departments: validation of the tree (levels, parents, cycles), changes with events and audit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.access import Auditor
from auth_svc.org import events
from auth_svc.org.models import Department, DepartmentStatus, Region
from auth_svc.org.schemas import (
    NATIONAL_CODES,
    DepartmentCreate,
    DepartmentMove,
    DepartmentUpdate,
    RegionCreate,
    RegionUpdate,
)
from supervision_schemas.auth import Change, RegionLevel
from svc_runtime.problems import Conflict, NotFound, Problem
from svc_runtime.scope import DataScope, OutOfScope

_LEVEL_RANK = {RegionLevel.NATIONAL: 0, RegionLevel.PROVINCE: 1, RegionLevel.CITY: 2, RegionLevel.COUNTY: 3}


class InvalidOrganisation(Problem):
    status = 422
    title = "Invalid organisation change"


class RegionNotFound(NotFound):
    title = "Region not found"


class DepartmentNotFound(NotFound):
    title = "Department not found"


def level_of(code: str) -> RegionLevel:
    """The level a GB/T 2260 code's shape implies."""
    if code in NATIONAL_CODES:
        return RegionLevel.NATIONAL
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def _ancestor_candidates(code: str) -> list[str]:
    level = level_of(code)
    if level is RegionLevel.COUNTY:
        return [code[:4] + "00", code[:2] + "0000", *NATIONAL_CODES]
    if level is RegionLevel.CITY:
        return [code[:2] + "0000", *NATIONAL_CODES]
    if level is RegionLevel.PROVINCE:
        return list(NATIONAL_CODES)
    return []


def _in_subtree(parent: str, child: str) -> bool:
    if parent in NATIONAL_CODES:
        return True
    prefix = parent[:2] if parent.endswith("0000") else parent[:4] if parent.endswith("00") else parent
    return child.startswith(prefix)


async def get_region(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise RegionNotFound(f"region {code} does not exist")
    return region


def regions_query(
    *,
    parent_code: str | None = None,
    level: RegionLevel | None = None,
    q: str | None = None,
    active: bool | None = None,
) -> Select[Region]:
    statement = select(Region)
    if parent_code is not None:
        statement = statement.where(Region.parent_code == parent_code)
    if level is not None:
        statement = statement.where(Region.level == level.value)
    if q:
        statement = statement.where(
            or_(Region.name.contains(q, autoescape=True), Region.code.startswith(q, autoescape=True))
        )
    if active is not None:
        statement = statement.where(Region.active == active)
    return statement


async def create_region(session: AsyncSession, auditor: Auditor, body: RegionCreate) -> Region:
    level = level_of(body.code)
    if body.level is not None and body.level is not level:
        raise InvalidOrganisation(f"code {body.code} is a {level.value} code, not {body.level.value}")
    if await session.get(Region, body.code) is not None:
        raise Conflict(f"region {body.code} already exists")
    parent_code = body.parent_code
    if parent_code is None:
        for candidate in _ancestor_candidates(body.code):
            if await session.get(Region, candidate) is not None:
                parent_code = candidate
                break
        if parent_code is None and level in (RegionLevel.CITY, RegionLevel.COUNTY):
            raise InvalidOrganisation(f"create the province {body.code[:2]}0000 of region {body.code} first")
    if parent_code is not None:
        parent = await get_region(session, parent_code)
        parent_level = RegionLevel(parent.level)
        if _LEVEL_RANK[parent_level] >= _LEVEL_RANK[level]:
            raise InvalidOrganisation(f"a {level.value} region cannot be under a {parent_level.value} region")
        if not _in_subtree(parent.code, body.code):
            raise InvalidOrganisation(f"region {body.code} does not lie within {parent.code}")
    region = Region(code=body.code, name=body.name, level=level.value, parent_code=parent_code, active=True)
    session.add(region)
    await session.flush()
    await events.region_changed(session, region, Change.CREATED)
    await auditor.record(
        "region.created", "region", region.code, region_code=region.code, name=region.name, parent_code=parent_code
    )
    return region


async def update_region(session: AsyncSession, auditor: Auditor, code: str, body: RegionUpdate) -> Region:
    region = await get_region(session, code)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    changed = {k: v for k, v in changes.items() if getattr(region, k) != v}
    if not changed:
        return region
    for key, value in changed.items():
        setattr(region, key, value)
    await session.flush()
    change = Change.DEACTIVATED if changed.get("active") is False else Change.UPDATED
    await events.region_changed(session, region, change)
    await auditor.record("region.updated", "region", region.code, region_code=region.code, changes=changed)
    return region


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> Department:
    department = await session.get(Department, department_id)
    if department is None:
        raise DepartmentNotFound(f"department {department_id} does not exist")
    return department


def departments_query(
    *,
    region_code: str | None = None,
    parent_id: uuid.UUID | None = None,
    type: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Select[Department]:
    statement = select(Department)
    if region_code is not None:
        statement = statement.where(Department.region_code == region_code)
    if parent_id is not None:
        statement = statement.where(Department.parent_id == parent_id)
    if type is not None:
        statement = statement.where(Department.type == type)
    if status is not None:
        statement = statement.where(Department.status == status)
    if q:
        statement = statement.where(Department.name.contains(q, autoescape=True))
    return statement


def check_department_write(scope: DataScope, *, region_code: str, department_id: uuid.UUID | None) -> None:
    """Writes to a department position: within the caller's region and (unless platform-wide) their department."""
    if department_id is None and not scope.unrestricted:
        raise OutOfScope("only platform administrators create or move top-level departments")
    scope.check_write(region_code=region_code, department_id=department_id)


async def _check_parent(session: AsyncSession, parent_id: uuid.UUID | None, region_code: str) -> None:
    if parent_id is None:
        return
    parent = await get_department(session, parent_id)
    if not _in_subtree(parent.region_code, region_code):
        raise InvalidOrganisation(
            f"region {region_code} is not within the parent department's region {parent.region_code}"
        )


async def _region_exists(session: AsyncSession, code: str) -> None:
    if await session.get(Region, code) is None:
        raise InvalidOrganisation(f"region {code} does not exist; create it first")


async def _flush_unique(session: AsyncSession, message: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc


async def create_department(
    session: AsyncSession, auditor: Auditor, scope: DataScope, body: DepartmentCreate, *, source: str | None = None
) -> Department:
    check_department_write(scope, region_code=body.region_code, department_id=body.parent_id)
    await _region_exists(session, body.region_code)
    await _check_parent(session, body.parent_id, body.region_code)
    department = Department(
        id=uuid.uuid4(),
        name=body.name,
        type=body.type.value,
        region_code=body.region_code,
        parent_id=body.parent_id,
        credit_code=body.credit_code,
        status=DepartmentStatus.ACTIVE.value,
    )
    session.add(department)
    await _flush_unique(session, "a department with this name (in this region) or credit code already exists")
    await events.department_changed(session, department, Change.CREATED)
    details: dict[str, Any] = {"name": department.name, "type": department.type, "parent_id": department.parent_id}
    if source:
        details["source"] = source
    await auditor.record(
        "department.created",
        "department",
        department.id,
        region_code=department.region_code,
        department_id=department.id,
        **details,
    )
    return department


async def update_department(
    session: AsyncSession, auditor: Auditor, scope: DataScope, department_id: uuid.UUID, body: DepartmentUpdate
) -> Department:
    department = await get_department(session, department_id)
    scope.check_read(region_code=department.region_code, department_id=department.id)
    scope.check_write(region_code=department.region_code, department_id=department.id)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for required in ("name", "type", "status"):
        if required in changes and changes[required] is None:
            raise InvalidOrganisation(f"{required} cannot be null")
    changed = {k: v for k, v in changes.items() if getattr(department, k) != v}
    if not changed:
        return department
    if changed.get("status") == DepartmentStatus.INACTIVE.value:
        await _refuse_active_children(session, department)
    for key, value in changed.items():
        setattr(department, key, value)
    await _flush_unique(session, "a department with this name (in this region) or credit code already exists")
    change = Change.DEACTIVATED if changed.get("status") == DepartmentStatus.INACTIVE.value else Change.UPDATED
    await events.department_changed(session, department, change)
    await auditor.record(
        "department.updated",
        "department",
        department.id,
        region_code=department.region_code,
        department_id=department.id,
        changes=changed,
    )
    return department


async def _refuse_active_children(session: AsyncSession, department: Department) -> None:
    children = await session.scalar(
        select(func.count())
        .select_from(Department)
        .where(Department.parent_id == department.id, Department.status == DepartmentStatus.ACTIVE.value)
    )
    if children:
        raise Conflict(f"department has {children} active sub-departments; deactivate or move them first")


async def deactivate_department(
    session: AsyncSession, auditor: Auditor, scope: DataScope, department_id: uuid.UUID
) -> Department:
    return await update_department(
        session, auditor, scope, department_id, DepartmentUpdate(status=DepartmentStatus.INACTIVE)
    )


async def _ancestor_ids(session: AsyncSession, department_id: uuid.UUID) -> set[uuid.UUID]:
    """The department and all its ancestors (recursive CTE)."""
    tree = select(Department.id, Department.parent_id).where(Department.id == department_id).cte(recursive=True)
    tree = tree.union(select(Department.id, Department.parent_id).join(tree, Department.id == tree.c.parent_id))
    return set((await session.scalars(select(tree.c.id))).all())


async def move_department(
    session: AsyncSession, auditor: Auditor, scope: DataScope, department_id: uuid.UUID, body: DepartmentMove
) -> Department:
    department = await get_department(session, department_id)
    scope.check_read(region_code=department.region_code, department_id=department.id)
    # Moving takes the department out of its place and into another: both must be the caller's.
    check_department_write(scope, region_code=department.region_code, department_id=department.parent_id)
    region_code = body.region_code or department.region_code
    check_department_write(scope, region_code=region_code, department_id=body.parent_id)
    await _region_exists(session, region_code)
    if body.parent_id is not None:
        if department.id in await _ancestor_ids(session, body.parent_id):
            raise InvalidOrganisation("a department cannot move under itself or one of its sub-departments")
        await _check_parent(session, body.parent_id, region_code)
    before = {"parent_id": department.parent_id, "region_code": department.region_code}
    department.parent_id = body.parent_id
    department.region_code = region_code
    await _flush_unique(session, "a department with this name already exists in the target region")
    await events.department_changed(session, department, Change.MOVED)
    await auditor.record(
        "department.moved",
        "department",
        department.id,
        region_code=department.region_code,
        department_id=department.id,
        before=before,
        after={"parent_id": department.parent_id, "region_code": department.region_code},
    )
    return department
