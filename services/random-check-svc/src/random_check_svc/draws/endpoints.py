"""HTTP interface of draws: commit, execute, verify, and the ledger that records them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from random_check_svc.access import SettingsDep
from random_check_svc.draws import ledger
from random_check_svc.draws import service as draw_service
from random_check_svc.draws.models import DrawStatus, LedgerEntry
from random_check_svc.draws.schemas import (
    ChainRead,
    DrawCommit,
    DrawExecute,
    DrawRead,
    LedgerEntryRead,
    Verification,
)
from random_check_svc.errors import UnknownRecord
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import AUDITOR, LEADER, PLATFORM_ADMIN, DataScopeDep, OutOfScope

router = APIRouter(tags=["draws"])


@router.post(
    "/plans/{plan_id}/draws",
    response_model=DrawRead,
    status_code=status.HTTP_201_CREATED,
    responses={403: {}, 404: {}, 409: {}, 422: {}},
)
async def commit_draw(plan_id: uuid.UUID, data: DrawCommit, session: SessionDep, scope: DataScopeDep) -> DrawRead:
    """Commit to a draw of a plan: a secret seed is sealed and its SHA-256 published before anything is drawn."""
    return DrawRead.model_validate(await draw_service.seal(session, plan_id, data, scope=scope))


@router.get("/draws", response_model=Page[DrawRead])
async def list_draws(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    plan_id: Annotated[uuid.UUID | None, Query(description="Draws of this plan.")] = None,
    status: Annotated[DrawStatus | None, Query(description="committed or revealed.")] = None,
) -> Page[DrawRead]:
    """List draws of the plans you may see, newest first."""
    rows, total = await draw_service.list_draws(session, pagination, scope=scope, plan_id=plan_id, status=status)
    return Page(
        items=[DrawRead.model_validate(r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/draws/{draw_id}", response_model=DrawRead, responses={404: {}})
async def get_draw(draw_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> DrawRead:
    """Get a draw: seed hash, and once run the seed, hashes and a summary per stratum."""
    return DrawRead.model_validate(await draw_service.get(session, draw_id, scope))


@router.post("/draws/{draw_id}/execute", response_model=DrawRead, responses={403: {}, 404: {}, 409: {}})
async def execute_draw(
    draw_id: uuid.UUID, data: DrawExecute, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> DrawRead:
    """Run a committed draw: objects by stratum, inspectors per department, tasks created, seed revealed."""
    return DrawRead.model_validate(await draw_service.execute(session, draw_id, data, scope=scope, settings=settings))


@router.post("/draws/{draw_id}/verify", response_model=Verification, responses={404: {}})
async def verify_draw(draw_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Verification:
    """Re-run a draw from its revealed seed over the recorded inputs and prove the outputs identical."""
    draw = await draw_service.get(session, draw_id, scope)
    return await draw_service.verify(session, draw, check_tasks=True)


@router.get("/draws/{draw_id}/ledger", response_model=list[LedgerEntryRead], responses={404: {}})
async def draw_ledger(draw_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[LedgerEntryRead]:
    """List a draw's ledger entries: commitment, inputs, avoidance, outputs, reveal (blobs by their hashes)."""
    await draw_service.get(session, draw_id, scope)
    return [LedgerEntryRead.model_validate(e) for e in (await ledger.entries(session, draw_id)).values()]


@router.get(
    "/draws/{draw_id}/ledger/{entry}/blob",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {}},
)
async def draw_ledger_blob(
    draw_id: uuid.UUID, entry: LedgerEntry, session: SessionDep, scope: DataScopeDep
) -> Response:
    """Download a ledger entry's blob (population, avoidance pairs or outputs) to re-run the draw offline."""
    await draw_service.get(session, draw_id, scope)
    row = (await ledger.entries(session, draw_id)).get(entry.value)
    if row is None or row.blob is None:
        raise UnknownRecord(f"the draw has no {entry.value} blob")
    return Response(
        row.blob,
        media_type="application/octet-stream",
        headers={
            "x-sha256": row.blob_sha256 or "",
            "content-disposition": f'attachment; filename="{draw_id}-{entry.value}.bin"',
        },
    )


@router.get("/ledger/verify", response_model=ChainRead, responses={403: {}})
async def verify_ledger(session: SessionDep, scope: DataScopeDep) -> ChainRead:
    """Recompute every hash of the draw ledger (auditors, leaders, platform administrators)."""
    if not scope.principal.roles & {PLATFORM_ADMIN, AUDITOR, LEADER}:
        raise OutOfScope("only auditors, leaders and platform administrators check the whole ledger")
    check = await ledger.verify_chain(session)
    return ChainRead(
        entries=check.entries, intact=check.intact, first_broken_seq=check.first_broken_seq, reason=check.reason
    )
