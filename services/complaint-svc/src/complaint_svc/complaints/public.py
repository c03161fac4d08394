"""The public service interface: status by tracking number without login; result and rating with the query code."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from complaint_svc import categories
from complaint_svc.complaints import service
from complaint_svc.complaints.models import Complaint, ComplaintEvent
from complaint_svc.complaints.schemas import PublicRateIn, PublicStatus, ResultRead
from complaint_svc.deps import ContextDep
from supervision_schemas.complaint import ComplaintAction, ComplaintKind, ComplaintStatus
from svc_runtime.db import SessionDep
from svc_runtime.problems import Forbidden, NotFound

router = APIRouter(prefix="/public/complaints", tags=["public"])
# Steps the complainant is shown (who did them is not).
_PUBLIC_STEPS = {
    "receive",
    "accept",
    "reject",
    "dispatch",
    "reassign",
    "start",
    "reply",
    "close",
    "visit",
    "rate",
    "reopen",
    "merge",
    "supervise",
    "master_reply",
    "master_close",
    "master_reject",
}


class WrongAccessCode(Forbidden):
    title = "Wrong query code"


async def _by_tracking_no(session: SessionDep, tracking_no: str) -> Complaint:
    complaint = await session.scalar(select(Complaint).where(Complaint.tracking_no == tracking_no.strip().upper()))
    if complaint is None:
        raise NotFound(f"no complaint with tracking number {tracking_no}")
    return complaint


def _code_ok(ctx: ContextDep, complaint: Complaint, code: str | None) -> bool:
    return code is not None and hmac.compare_digest(code, service.access_code(ctx.settings, complaint.tracking_no))


@router.get(
    "/{tracking_no}",
    response_model=PublicStatus,
    responses={403: {"description": "Wrong query code"}, 404: {"description": "Unknown tracking number"}},
)
async def public_status(
    tracking_no: str,
    session: SessionDep,
    ctx: ContextDep,
    access_code: Annotated[
        str | None, Query(max_length=20, description="The query code (查询码) given at submission.")
    ] = None,
) -> PublicStatus:
    """Status of a complaint by its tracking number, without login; with the query code also the result and steps."""
    c = await _by_tracking_no(session, tracking_no)
    if access_code is not None and not _code_ok(ctx, c, access_code):
        raise WrongAccessCode("the query code does not match this tracking number")
    master_no = None
    if c.merged_into is not None:
        master_no = await session.scalar(select(Complaint.tracking_no).where(Complaint.id == c.merged_into))
    view = PublicStatus(
        tracking_no=c.tracking_no,
        kind=ComplaintKind(c.kind),
        status=ComplaintStatus(c.status),
        category_name=categories.BY_CODE.get(c.category, categories.OTHER).name,
        department_name=c.department_name,
        received_at=c.received_at,
        accept_due=c.accept_due,
        handle_due=c.handle_due,
        updated_at=c.modified_at or c.received_at,
        merged_into_tracking_no=master_no,
    )
    if access_code is not None:
        if c.result_code and c.result_summary:
            view.result = ResultRead(code=c.result_code, summary=c.result_summary)
        view.satisfaction = c.satisfaction
        rows = await session.scalars(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id).order_by(ComplaintEvent.seq)
        )
        view.steps = [
            {"at": r.at.isoformat(), "action": r.action, "status": r.to_status}
            for r in rows
            if r.action in _PUBLIC_STEPS
        ]
    return view


@router.post(
    "/{tracking_no}/rating",
    response_model=PublicStatus,
    responses={
        403: {"description": "Wrong query code"},
        404: {"description": "Unknown tracking number"},
        409: {"description": "Not closed yet (names the state)"},
    },
)
async def public_rating(tracking_no: str, body: PublicRateIn, session: SessionDep, ctx: ContextDep) -> PublicStatus:
    """The complainant rates the handling (满意度评价) with the query code, once the complaint is closed."""
    c = await _by_tracking_no(session, tracking_no)
    if not _code_ok(ctx, c, body.access_code):
        raise WrongAccessCode("the query code does not match this tracking number")
    await service.apply(
        session, ctx, c, ComplaintAction.RATE, "complainant", satisfaction=body.satisfaction, comment=body.comment
    )
    await session.flush()
    return await public_status(tracking_no, session, ctx, body.access_code)
