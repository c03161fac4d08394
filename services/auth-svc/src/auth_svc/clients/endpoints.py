"""Management of OAuth clients (platform administrators)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from auth_svc.auth import PlatformAdmin
from auth_svc.clients import service as client_service
from auth_svc.clients.models import OAuthClient
from auth_svc.clients.schemas import OAuthClientRead
from svc_runtime.db import SessionDep

router = APIRouter(prefix="/clients", tags=["clients"])


@router.get("", response_model=list[OAuthClientRead])
async def list_clients(session: SessionDep, _admin: PlatformAdmin) -> Sequence[OAuthClient]:
    """List the registered OAuth clients."""
    return await client_service.list_clients(session)
