"""The audit log, for auditors and platform administrators (within their data scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from auth_svc.access import AuditReader
from auth_svc.audit import service as audit_service
from auth_svc.audit.models import AuditRecord
from auth_svc.audit.schemas import AuditRecordRead
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditRecordRead])
async def list_audit_records(
    session: SessionDep,
    _reader: AuditReader,
    scope: DataScopeDep,
    pagination: PaginationDep,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="An action, or a prefix ending in '.' (e.g. 'user.').")] = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Until this time (exclusive).")] = None,
    sort: Annotated[str | None, Query(description="seq or -seq (default: newest first).")] = None,
) -> Page[AuditRecordRead]:
    """Search the audit log."""
    statement = audit_service.query(
        actor=actor, action=action, target_type=target_type, target_id=target_id, since=since, until=until
    )
    statement = scope.filter(statement, region=AuditRecord.region_code)
    statement = statement.order_by(
        *order_by(sort, {"seq": AuditRecord.seq.expression, "time": AuditRecord.time.expression}, "-seq")
    )
    items, total = await paginate(session, statement, pagination)
    return Page[AuditRecordRead](
        items=[AuditRecordRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )
