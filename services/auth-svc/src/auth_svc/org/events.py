"""Events of the organisation tree (staged in the outbox with the change)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.org.models import Department, DepartmentStatus, Region
from supervision_schemas.auth import (
    Change,
    DepartmentChanged,
    DepartmentChangedData,
    RegionChanged,
    RegionChangedData,
    RegionLevel,
)
from svc_runtime import outbox
from svc_runtime.db import utc_now

SOURCE = "/auth-svc"


async def region_changed(session: AsyncSession, region: Region, change: Change) -> None:
    data = RegionChangedData(
        change=change,
        region_code=region.code,
        name=region.name,
        level=RegionLevel(region.level),
        parent_code=region.parent_code,
        active=region.active,
        changed_at=utc_now(),
    )
    await outbox.stage(session, RegionChanged.build(source=SOURCE, subject=region.code, data=data))


async def department_changed(session: AsyncSession, department: Department, change: Change) -> None:
    data = DepartmentChangedData(
        change=change,
        department_id=department.id,
        name=department.name,
        department_type=department.type,
        region_code=department.region_code,
        parent_id=department.parent_id,
        credit_code=department.credit_code,
        active=department.status == DepartmentStatus.ACTIVE.value,
        changed_at=utc_now(),
    )
    await outbox.stage(session, DepartmentChanged.build(source=SOURCE, subject=str(department.id), data=data))
