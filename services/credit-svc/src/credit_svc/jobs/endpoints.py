"""HTTP interface of background jobs (full recomputes and model training): status and progress."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from credit_svc.jobs.models import Job, JobKind, JobStatus
from credit_svc.jobs.schemas import JobRead
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", response_model=Page[JobRead])
async def list_jobs(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    kind: Annotated[JobKind | None, Query(description="Only jobs of this kind.")] = None,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this state.")] = None,
) -> Page[JobRead]:
    """List recompute and training jobs, newest first."""
    statement = select(Job).order_by(Job.requested_at.desc(), Job.id)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    if status is not None:
        statement = statement.where(Job.status == status)
    rows, total = await paginate(session, statement, pagination)
    return Page(
        items=[JobRead.model_validate(j) for j in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/{job_id}", response_model=JobRead, responses={404: {"description": "No such job"}})
async def get_job(job_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get a job with its phase, progress and result."""
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    return JobRead.model_validate(job)
