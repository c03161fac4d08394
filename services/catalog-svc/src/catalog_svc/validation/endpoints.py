"""HTTP interface of the fast code check (the list governs the platform)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from catalog_svc.validation import service as validation_service
from catalog_svc.validation.service import CodeValidity, ValidationCacheDep
from svc_runtime.db import SessionDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/code-checks", tags=["validation"])


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    department_id: uuid.UUID | None = None
    on: date | None = None


class BatchCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[CheckRequest] = Field(min_length=1, max_length=1000)


@router.get("", response_model=CodeValidity)
async def check_code(
    session: SessionDep,
    scope: DataScopeDep,
    cache: ValidationCacheDep,
    code: Annotated[str, Query(min_length=1, max_length=64, description="14-digit item code.")],
    department_id: Annotated[uuid.UUID | None, Query(description="Department that wants to use the item.")] = None,
    on: Annotated[date | None, Query(description="Date of use (default today).")] = None,
) -> CodeValidity:
    """Tell whether a code is a published item the department may use on a date."""
    return await validation_service.cached_check(
        session, cache, code=code, department_id=department_id, on=on or date.today()
    )


@router.post("", response_model=list[CodeValidity])
async def check_codes(
    data: BatchCheck, session: SessionDep, scope: DataScopeDep, cache: ValidationCacheDep
) -> list[CodeValidity]:
    """Check up to 1,000 codes in one call."""
    today = date.today()
    return [
        await validation_service.cached_check(
            session, cache, code=c.code, department_id=c.department_id, on=c.on or today
        )
        for c in data.checks
    ]
