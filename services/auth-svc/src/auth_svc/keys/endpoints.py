"""Management of signing keys (platform administrators)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from auth_svc.auth import PlatformAdmin
from auth_svc.dependencies import KeyringDep
from auth_svc.keys import service as key_service
from auth_svc.keys.models import SigningKey
from auth_svc.keys.schemas import KeyRotation, SigningKeyRead
from svc_runtime.db import SessionDep

router = APIRouter(prefix="/keys", tags=["keys"])


@router.get("", response_model=list[SigningKeyRead])
async def list_keys(session: SessionDep, _admin: PlatformAdmin) -> Sequence[SigningKey]:
    """List the published signing keys, active first."""
    return await key_service.list_published(session)


@router.post("/rotate", response_model=KeyRotation)
async def rotate_key(keyring: KeyringDep, _admin: PlatformAdmin) -> KeyRotation:
    """Rotate the signing key now; the previous key stays published until its tokens have expired."""
    new, retired = await keyring.rotate()
    return KeyRotation(
        active=SigningKeyRead.model_validate(new),
        retired=SigningKeyRead.model_validate(retired) if retired is not None else None,
    )
