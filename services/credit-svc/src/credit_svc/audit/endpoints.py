"""HTTP interface of the audit trail (read-only: it cannot be changed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from credit_svc.access import AuditReader
from credit_svc.audit.models import AuditEntry
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    client_id: str | None
    roles: list[str]
    actor_department_id: uuid.UUID | None
    actor_region_code: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    action: str
    entity_type: str
    entity_id: str
    object_id: uuid.UUID | None
    region_code: str | None
    department_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None


@router.get("", response_model=Page[AuditRead])
async def list_audit(
    session: SessionDep,
    actor: AuditReader,
    pagination: PaginationDep,
    entity_type: Annotated[
        str | None, Query(max_length=32, description="record, request, list, scheme, model, job.")
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=64, description="One entity.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Entries about this object.")] = None,
    action: Annotated[str | None, Query(max_length=64, description="Action or its prefix, e.g. `request.`.")] = None,
    who: Annotated[str | None, Query(max_length=200, description="Entries by this subject.")] = None,
    since: Annotated[datetime | None, Query(description="Entries at or after this time.")] = None,
) -> Page[AuditRead]:
    """List audit entries (who did what, when and from where) within your region, newest first."""
    assert actor.scope is not None
    statement = select(AuditEntry)
    if not actor.scope.unrestricted:
        prefix = actor.scope.prefix
        statement = statement.where(AuditEntry.region_code.startswith(prefix, autoescape=True))
    if entity_type:
        statement = statement.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        statement = statement.where(AuditEntry.entity_id == entity_id)
    if object_id:
        statement = statement.where(AuditEntry.object_id == object_id)
    if action:
        statement = statement.where(AuditEntry.action.startswith(action, autoescape=True))
    if who:
        statement = statement.where(AuditEntry.actor == who)
    if since:
        statement = statement.where(AuditEntry.at >= since)
    rows, total = await paginate(session, statement.order_by(AuditEntry.id.desc()), pagination)
    return Page(
        items=[AuditRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )
