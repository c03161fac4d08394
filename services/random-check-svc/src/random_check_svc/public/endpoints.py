"""The public interface (服务界面) of double random, one public: no token, public fields only.

The gateway lists `/api/random-check/v1/public/*` among its public paths.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Select, func, or_, select

from random_check_svc.draws import service as draw_service
from random_check_svc.draws.models import RcDraw
from random_check_svc.draws.schemas import Verification
from random_check_svc.errors import UnknownRecord
from random_check_svc.library.models import RcDepartment, RcItem, RcObject
from random_check_svc.library.service import items_in_list
from random_check_svc.plans import service as plan_service
from random_check_svc.plans.models import RcPlan
from random_check_svc.public.schemas import PublicDraw, PublicItem, PublicPlan, PublicPlanDepartment, PublicResult
from random_check_svc.stats import service as stats_service
from random_check_svc.stats.schemas import GroupBy, Statistics
from random_check_svc.tasks.models import RcTask, RcVisit, TaskStatus
from supervision_schemas.randomcheck import ResultCategory
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, paginate
from svc_runtime.problems import Problem
from svc_runtime.scope import region_prefix

router = APIRouter(prefix="/public", tags=["public"])
RegionQuery = Annotated[str | None, Query(pattern=r"^\d{6}$", description="Region subtree (GB/T 2260).")]
_VERIFIED: dict[uuid.UUID, tuple[float, Verification]] = {}
VERIFY_CACHE_S = 300.0  # a re-run of a large draw costs seconds of CPU: answer repeats from memory
VERIFY_CACHE_SIZE = 256


class InvalidPublicQuery(Problem):
    status = 400
    title = "Invalid query"


def _in_region(column: object, region_code: str | None) -> object | None:
    return column.startswith(region_prefix(region_code), autoescape=True) if region_code else None  # type: ignore[attr-defined]


@router.get("/items", response_model=Page[PublicItem])
async def public_items(
    session: SessionDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words of the name, or the start of the code.")] = None,
    region_code: RegionQuery = None,
) -> Page[PublicItem]:
    """List the random-check item list (抽查事项清单), which is public."""
    statement = items_in_list()
    if q:
        statement = statement.where(or_(RcItem.name.contains(q, autoescape=True), RcItem.code.startswith(q)))
    if region_code:
        statement = statement.where(RcItem.region_code.startswith(region_prefix(region_code), autoescape=True))
    rows, total = await paginate(session, statement.order_by(RcItem.code), pagination)
    return Page(
        items=[PublicItem.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/plans", response_model=Page[PublicPlan])
async def public_plans(
    session: SessionDep,
    pagination: PaginationDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Plans of this year.")] = None,
    region_code: RegionQuery = None,
) -> Page[PublicPlan]:
    """List check plans (计划公告): name, year, region, departments and items (no ratios per credit class)."""
    statement: Select[tuple[RcPlan]] = select(RcPlan)
    if year:
        statement = statement.where(RcPlan.year == year)
    if region_code:
        statement = statement.where(RcPlan.region_code.startswith(region_prefix(region_code), autoescape=True))
    rows, total = await paginate(session, statement.order_by(RcPlan.year.desc(), RcPlan.name, RcPlan.id), pagination)
    items = []
    for plan in rows:
        read = await plan_service.read(session, plan)
        items.append(
            PublicPlan(
                id=plan.id,
                name=plan.name,
                year=plan.year,
                kind=read.kind,
                region_code=plan.region_code,
                departments=[PublicPlanDepartment.model_validate(d.model_dump()) for d in read.departments],
                created_at=plan.created_at,
            )
        )
    return Page(items=items, total=total, page=pagination.page, limit=pagination.limit)


async def _public_draw(session: SessionDep, draw: RcDraw) -> PublicDraw:
    plan = await session.get(RcPlan, draw.plan_id)
    assert plan is not None
    summary = draw.summary or {}
    return PublicDraw(
        id=draw.id,
        plan_id=draw.plan_id,
        plan_name=plan.name,
        status=draw.status,
        algorithm=draw.algorithm,
        check_date=draw.check_date,
        seed_hash=draw.seed_hash,
        seed=draw.seed,
        public_entropy=draw.public_entropy,
        inputs_hash=draw.inputs_hash,
        outputs_hash=draw.outputs_hash,
        population=summary.get("population"),
        visits=summary.get("visits"),
        tasks=summary.get("tasks"),
        committed_at=draw.committed_at,
        drawn_at=draw.drawn_at,
    )


@router.get("/draws", response_model=Page[PublicDraw])
async def public_draws(
    session: SessionDep,
    pagination: PaginationDep,
    plan_id: Annotated[uuid.UUID | None, Query(description="Draws of this plan.")] = None,
) -> Page[PublicDraw]:
    """List draws with their published seed hashes (and seeds once revealed), newest first."""
    statement: Select[tuple[RcDraw]] = select(RcDraw)
    if plan_id:
        statement = statement.where(RcDraw.plan_id == plan_id)
    rows, total = await paginate(session, statement.order_by(RcDraw.committed_at.desc(), RcDraw.id), pagination)
    return Page(
        items=[await _public_draw(session, r) for r in rows], total=total, page=pagination.page, limit=pagination.limit
    )


@router.get("/draws/{draw_id}", response_model=PublicDraw, responses={404: {}})
async def public_draw(draw_id: uuid.UUID, session: SessionDep) -> PublicDraw:
    """Get a draw's public record: seed hash before the draw; seed, input and output hashes after it."""
    draw = await session.get(RcDraw, draw_id)
    if draw is None:
        raise UnknownRecord(f"no draw {draw_id}")
    return await _public_draw(session, draw)


@router.get("/draws/{draw_id}/verification", response_model=Verification, responses={404: {}})
async def public_verification(draw_id: uuid.UUID, session: SessionDep) -> Verification:
    """Re-run a draw from its revealed seed over the recorded inputs and show that the outputs are identical."""
    cached = _VERIFIED.get(draw_id)
    if cached and time.monotonic() - cached[0] < VERIFY_CACHE_S:
        return cached[1]
    draw = await session.get(RcDraw, draw_id)
    if draw is None:
        raise UnknownRecord(f"no draw {draw_id}")
    result = await draw_service.verify(session, draw, check_tasks=False)
    if draw.seed is not None:
        if len(_VERIFIED) >= VERIFY_CACHE_SIZE:
            _VERIFIED.pop(next(iter(_VERIFIED)))
        _VERIFIED[draw_id] = (time.monotonic(), result)
    return result


@router.get("/results", response_model=Page[PublicResult])
async def public_results(
    session: SessionDep,
    pagination: PaginationDep,
    uscc: Annotated[str | None, Query(max_length=18, description="Unified social credit code of the object.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Words of the object's name.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Checks by this department.")] = None,
    region_code: RegionQuery = None,
    category: Annotated[ResultCategory | None, Query(description="Result category.")] = None,
    checked_from: Annotated[date | None, Query(description="Checks ended on or after this day.")] = None,
    checked_to: Annotated[date | None, Query(description="Checks ended on or before this day.")] = None,
) -> Page[PublicResult]:
    """List disclosed check results (抽查结果公示), newest first."""
    if checked_from and checked_to and checked_from > checked_to:
        raise InvalidPublicQuery("checked_from is after checked_to")
    statement = (
        select(RcTask, RcObject.name, RcObject.uscc, RcPlan.name, RcVisit.joint, RcDepartment.name)
        .join(RcVisit, RcVisit.id == RcTask.visit_id)
        .join(RcPlan, RcPlan.id == RcTask.plan_id)
        .join(RcObject, RcObject.object_id == RcTask.object_id)
        .outerjoin(RcDepartment, RcDepartment.department_id == RcTask.department_id)
        .where(RcTask.status == TaskStatus.PUBLISHED.value)
    )
    if uscc:
        statement = statement.where(RcObject.uscc == uscc.upper())
    if q:
        statement = statement.where(RcObject.name.contains(q, autoescape=True))
    if department_id:
        statement = statement.where(RcTask.department_id == department_id)
    if region_code:
        statement = statement.where(RcTask.region_code.startswith(region_prefix(region_code), autoescape=True))
    if category:
        statement = statement.where(RcTask.category == category.value)
    if checked_from:
        statement = statement.where(RcTask.checked_on >= checked_from)
    if checked_to:
        statement = statement.where(RcTask.checked_on <= checked_to)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (
        await session.execute(
            statement.order_by(RcTask.published_at.desc(), RcTask.id).offset(pagination.offset).limit(pagination.limit)
        )
    ).all()
    items = [
        PublicResult(
            result_id=task.id,
            plan_name=plan_name,
            joint=joint,
            object_name=name,
            uscc=code,
            region_code=task.region_code,
            department_name=dept_name,
            item_codes=task.item_codes,
            checked_on=task.checked_on,
            category=ResultCategory(task.category or ResultCategory.NO_PROBLEM),
            problem_found=bool(task.problem_found),
            summary=task.summary,
            published_at=task.published_at,
        )
        for task, name, code, plan_name, joint, dept_name in rows
    ]
    return Page(items=items, total=int(total or 0), page=pagination.page, limit=pagination.limit)


@router.get("/statistics", response_model=Statistics, responses={400: {}})
async def public_statistics(
    session: SessionDep,
    by: Annotated[GroupBy, Query(description="department or industry (credit classes are not public).")],
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Checks of this year.")] = None,
) -> Statistics:
    """Disclosed results counted by department or industry, with problem rates."""
    if by is GroupBy.CREDIT_CLASS:
        raise InvalidPublicQuery("credit classes are not public (不公开)")
    return await stats_service.statistics(session, by=by, scope=None, year=year, published_only=True)
