"""Who may manage grading (schemes, recomputes, models) and who may read the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from credit_svc.audit.service import Actor, ActorDep
from svc_runtime.problems import Forbidden
from svc_runtime.scope import AUDITOR, LEADER, PLATFORM_ADMIN

ADMIN_SCOPE = "credit.admin"
AUDIT_ROLES = frozenset({PLATFORM_ADMIN, AUDITOR, LEADER})


async def _credit_admin(actor: ActorDep) -> Actor:
    scopes = actor.scope.principal.scopes if actor.scope else frozenset()
    if PLATFORM_ADMIN not in actor.roles and ADMIN_SCOPE not in scopes:
        raise Forbidden(f"managing grading needs the {PLATFORM_ADMIN} role or the {ADMIN_SCOPE} scope")
    return actor


async def _audit_reader(actor: ActorDep) -> Actor:
    if not set(actor.roles) & AUDIT_ROLES:
        raise Forbidden(f"the audit trail is read by {', '.join(sorted(AUDIT_ROLES))}")
    return actor


CreditAdmin = Annotated[Actor, Depends(_credit_admin)]
AuditReader = Annotated[Actor, Depends(_audit_reader)]
