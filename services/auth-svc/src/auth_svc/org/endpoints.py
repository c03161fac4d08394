"""Regions and departments: the organisation tree, read within the caller's data scope."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse

from auth_svc.access import AuditDep, Manager
from auth_svc.auth import PlatformAdmin
from auth_svc.dependencies import SettingsDep
from auth_svc.org import imports, service
from auth_svc.org.models import Department, DepartmentStatus, DepartmentType, Region
from auth_svc.org.schemas import (
    DepartmentCreate,
    DepartmentMove,
    DepartmentRead,
    DepartmentUpdate,
    ImportReport,
    RegionCreate,
    RegionRead,
    RegionUpdate,
)
from supervision_schemas.auth import RegionLevel
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import Problem
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["organisation"])

CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel")


class UnsupportedMediaType(Problem):
    status = 415
    title = "Unsupported media type"


@router.get("/regions", response_model=Page[RegionRead])
async def list_regions(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    parent_code: str | None = None,
    level: RegionLevel | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name, or a code prefix.")] = None,
    active: bool | None = None,
    sort: Annotated[str | None, Query(description="code, name, level; '-' for descending.")] = None,
) -> Page[RegionRead]:
    """List the regions within the caller's region."""
    statement = scope.filter(
        service.regions_query(parent_code=parent_code, level=level, q=q, active=active), region=Region.code
    )
    columns: dict[str, Any] = {"code": Region.code, "name": Region.name, "level": Region.level}
    items, total = await paginate(session, statement.order_by(*order_by(sort, columns, "code")), pagination)
    return Page[RegionRead](
        items=[RegionRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/regions/{code}", response_model=RegionRead)
async def get_region(code: str, session: SessionDep, scope: DataScopeDep) -> Region:
    """Read one region."""
    region = await service.get_region(session, code)
    if not scope.can_read(region_code=region.code):
        raise service.RegionNotFound(f"region {code} does not exist")
    return region


@router.post("/regions", response_model=RegionRead, status_code=status.HTTP_201_CREATED)
async def create_region(body: RegionCreate, session: SessionDep, _admin: PlatformAdmin, auditor: AuditDep) -> Region:
    """Create a region (platform administrators)."""
    return await service.create_region(session, auditor, body)


@router.patch("/regions/{code}", response_model=RegionRead)
async def update_region(
    code: str, body: RegionUpdate, session: SessionDep, _admin: PlatformAdmin, auditor: AuditDep
) -> Region:
    """Rename, deactivate or reactivate a region (platform administrators)."""
    return await service.update_region(session, auditor, code, body)


@router.get("/departments", response_model=Page[DepartmentRead])
async def list_departments(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    region_code: str | None = None,
    parent_id: uuid.UUID | None = None,
    type: DepartmentType | None = None,
    status: DepartmentStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name.")] = None,
    sort: Annotated[str | None, Query(description="name, region_code, created_at; '-' for descending.")] = None,
) -> Page[DepartmentRead]:
    """List the departments within the caller's data scope."""
    statement = service.departments_query(
        region_code=region_code,
        parent_id=parent_id,
        type=type.value if type else None,
        status=status.value if status else None,
        q=q,
    )
    statement = scope.filter(statement, region=Department.region_code, department=Department.id)
    columns: dict[str, Any] = {
        "name": Department.name,
        "region_code": Department.region_code,
        "created_at": Department.created_at,
    }
    items, total = await paginate(session, statement.order_by(*order_by(sort, columns, "region_code,name")), pagination)
    return Page[DepartmentRead](
        items=[DepartmentRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/departments/{department_id}", response_model=DepartmentRead)
async def get_department(department_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Department:
    """Read one department."""
    department = await service.get_department(session, department_id)
    if not scope.can_read(region_code=department.region_code, department_id=department.id):
        raise service.DepartmentNotFound(f"department {department_id} does not exist")
    return department


@router.post("/departments", response_model=DepartmentRead, status_code=status.HTTP_201_CREATED)
async def create_department(
    body: DepartmentCreate, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> Department:
    """Create a department (department administrators: under their own department)."""
    return await service.create_department(session, auditor, scope, body)


@router.patch("/departments/{department_id}", response_model=DepartmentRead)
async def update_department(
    department_id: uuid.UUID,
    body: DepartmentUpdate,
    session: SessionDep,
    _manager: Manager,
    scope: DataScopeDep,
    auditor: AuditDep,
) -> Department:
    """Change a department's name, type, credit code or status."""
    return await service.update_department(session, auditor, scope, department_id, body)


@router.delete("/departments/{department_id}", response_model=DepartmentRead)
async def deactivate_department(
    department_id: uuid.UUID, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> Department:
    """Deactivate a department (kept for history; refused while it has active sub-departments)."""
    return await service.deactivate_department(session, auditor, scope, department_id)


@router.post("/departments/{department_id}/move", response_model=DepartmentRead)
async def move_department(
    department_id: uuid.UUID,
    body: DepartmentMove,
    session: SessionDep,
    _manager: Manager,
    scope: DataScopeDep,
    auditor: AuditDep,
) -> Department:
    """Move a department under another parent and/or into another region (cycles refused)."""
    return await service.move_department(session, auditor, scope, department_id, body)


@router.post(
    "/departments/import",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            "description": "Columns: " + ", ".join(imports.COLUMNS) + " (name, type, region_code required).",
        }
    },
    responses={200: {"content": {"text/csv": {}}, "description": "The report (as CSV with report=csv)."}},
)
async def import_departments(
    request: Request,
    session: SessionDep,
    _manager: Manager,
    scope: DataScopeDep,
    auditor: AuditDep,
    settings: SettingsDep,
    encoding: imports.Encoding = imports.Encoding.AUTO,
    report: Literal["json", "csv"] = "json",
) -> Any:
    """Create or update departments from a CSV file; valid rows are applied, invalid rows reported."""
    media_type = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaType(f"send the CSV file as the body with content-type text/csv, not {media_type!r}")
    result = await imports.import_departments(
        session, auditor, scope, request.stream(), encoding=encoding, max_rows=settings.auth_import_max_rows
    )
    if report == "csv" or "text/csv" in request.headers.get("accept", ""):
        return PlainTextResponse(
            imports.report_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="department-import-errors.csv"'},
        )
    return result
