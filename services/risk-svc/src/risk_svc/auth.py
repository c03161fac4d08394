"""Who may manage models and rebuild features: platform administrators or holders of the `risk.admin` scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from svc_runtime.auth import CurrentPrincipal, Principal
from svc_runtime.problems import Forbidden
from svc_runtime.scope import PLATFORM_ADMIN

ADMIN_SCOPE = "risk.admin"


async def _risk_admin(principal: CurrentPrincipal) -> Principal:
    if PLATFORM_ADMIN not in principal.roles and ADMIN_SCOPE not in principal.scopes:
        raise Forbidden(f"managing risk models needs the {PLATFORM_ADMIN} role or the {ADMIN_SCOPE} scope")
    return principal


RiskAdmin = Annotated[Principal, Depends(_risk_admin)]
