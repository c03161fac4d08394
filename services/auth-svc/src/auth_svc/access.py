"""Request plumbing of the organisation and people endpoints: who may manage, and the audit recorder."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request

from auth_svc.audit import service as audit_service
from auth_svc.audit.models import AuditRecord
from auth_svc.auth import LocalPrincipal
from svc_runtime.auth import Principal
from svc_runtime.db import SessionDep
from svc_runtime.logging import request_id_var
from svc_runtime.problems import Forbidden
from svc_runtime.scope import AUDITOR, DEPARTMENT_ADMIN, PLATFORM_ADMIN

MANAGER_ROLES = frozenset({PLATFORM_ADMIN, DEPARTMENT_ADMIN})
AUDIT_READER_ROLES = frozenset({PLATFORM_ADMIN, AUDITOR})


def client_ip(request: Request) -> str | None:
    """The caller's address: the hop the gateway saw (last X-Forwarded-For entry), else the peer."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[-1].strip()[:64] or None
    return request.client.host if request.client else None


class RequireAnyRole:
    """Dependency: the caller must hold one of these roles."""

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: LocalPrincipal) -> Principal:
        if not principal.roles & self.roles:
            raise Forbidden(f"one of the roles {', '.join(sorted(self.roles))} is required")
        return principal


Manager = Annotated[Principal, Depends(RequireAnyRole(*MANAGER_ROLES))]
AuditReader = Annotated[Principal, Depends(RequireAnyRole(*AUDIT_READER_ROLES))]


class Auditor:
    """Records administrative actions of the current request in its transaction."""

    def __init__(self, session: SessionDep, principal: LocalPrincipal, request: Request) -> None:
        self.session = session
        self.actor = audit_service.Actor(
            subject=principal.subject,
            roles=tuple(sorted(principal.roles)),
            client_id=principal.client_id,
            ip=client_ip(request),
            request_id=request_id_var.get() or request.headers.get("x-request-id"),
        )

    async def record(
        self,
        action: str,
        target_type: str,
        target_id: str | uuid.UUID | None,
        *,
        region_code: str | None = None,
        department_id: str | uuid.UUID | None = None,
        **details: Any,
    ) -> AuditRecord:
        return await audit_service.append(
            self.session,
            self.actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            region_code=region_code,
            department_id=department_id,
            details=details,
        )


AuditDep = Annotated[Auditor, Depends(Auditor)]
