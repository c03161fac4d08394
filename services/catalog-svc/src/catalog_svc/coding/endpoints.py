"""HTTP interface of code schemes (编码规则管理)."""

from __future__ import annotations

from fastapi import APIRouter, status

from catalog_svc.coding import service as coding_service
from catalog_svc.coding.schemas import CodeCheck, CodeCheckResult, CodeSchemeCreate, CodeSchemeRead
from catalog_svc.coding.validators import VALIDATORS
from svc_runtime.db import SessionDep
from svc_runtime.scope import DataScopeDep, OutOfScope

router = APIRouter(prefix="/code-schemes", tags=["coding"])


@router.get("", response_model=list[CodeSchemeRead])
async def list_schemes(session: SessionDep, scope: DataScopeDep) -> list[CodeSchemeRead]:
    """List every code scheme and version."""
    return [CodeSchemeRead.model_validate(s) for s in await coding_service.list_schemes(session)]


@router.get("/validators", response_model=list[str])
async def list_validators(scope: DataScopeDep) -> list[str]:
    """List the validator names a scheme may use."""
    return sorted(VALIDATORS)


@router.post("", response_model=CodeSchemeRead, status_code=status.HTTP_201_CREATED, responses={403: {}})
async def create_scheme(data: CodeSchemeCreate, session: SessionDep, scope: DataScopeDep) -> CodeSchemeRead:
    """Add a code scheme or a new version of one (platform administrators)."""
    if not scope.unrestricted:
        raise OutOfScope("only platform administrators manage code schemes")
    return CodeSchemeRead.model_validate(await coding_service.create_scheme(session, data=data))


@router.post("/check", response_model=CodeCheckResult)
async def check_code(data: CodeCheck, session: SessionDep, scope: DataScopeDep) -> CodeCheckResult:
    """Check a code against the active schemes and the allocation ledger."""
    return await coding_service.check(session, data.target, data.code)
