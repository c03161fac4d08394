"""Writing the audit trail, and the actor of a request (who and from where)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.audit.models import AuditEntry
from svc_runtime.auth import CurrentPrincipal
from svc_runtime.logging import request_id_var
from svc_runtime.scope import DataScope, DataScopeDep


@dataclass(frozen=True)
class Actor:
    """Who acts (token subject, client, roles, department, region) and from where (address, agent, request)."""

    subject: str
    client_id: str | None = None
    roles: tuple[str, ...] = ()
    department_id: uuid.UUID | None = None
    region_code: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    scope: DataScope | None = None

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(subject=f"credit-svc:{what}", request_id=request_id_var.get())


def _client_ip(request: Request) -> str | None:
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64] or None
    return request.client.host if request.client else None


async def get_actor(request: Request, principal: CurrentPrincipal, scope: DataScopeDep) -> Actor:
    dept = principal.department_id
    return Actor(
        subject=principal.subject,
        client_id=principal.client_id,
        roles=tuple(sorted(principal.roles)),
        department_id=uuid.UUID(str(dept)) if dept else None,
        region_code=principal.region_code,
        ip=_client_ip(request),
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        request_id=getattr(request.state, "request_id", None),
        scope=scope,
    )


ActorDep = Annotated[Actor, Depends(get_actor)]


async def audit(
    session: AsyncSession,
    actor: Actor,
    *,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str,
    object_id: uuid.UUID | None = None,
    region_code: str | None = None,
    department_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Append one entry to the audit trail in the caller's transaction."""
    await session.execute(
        insert(AuditEntry).values(
            actor=actor.subject,
            client_id=actor.client_id,
            roles=list(actor.roles),
            actor_department_id=actor.department_id,
            actor_region_code=actor.region_code,
            ip=actor.ip,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            object_id=object_id,
            region_code=region_code,
            department_id=department_id,
            before=before,
            after=after,
            note=note,
        )
    )
