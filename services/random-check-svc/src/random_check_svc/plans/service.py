"""Check plans: validated against the item list and the organisation tree, scoped to the initiating department."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from random_check_svc.access import actor
from random_check_svc.draws.models import DrawStatus, RcDraw
from random_check_svc.errors import IllegalState, InvalidInput, UnknownRecord
from random_check_svc.library.models import ItemStatus, RcDepartment, RcItem
from random_check_svc.plans.models import PlanKind, PlanStatus, RcPlan, RcPlanDepartment
from random_check_svc.plans.schemas import PlanCreate, PlanDepartmentRead, PlanRead, PlanUpdate
from random_check_svc.settings import RandomCheckSettings
from svc_runtime.pagination import PaginationParams, order_by, paginate
from svc_runtime.scope import DataScope, OutOfScope, region_contains

PLAN_SORT = {"year": RcPlan.year, "name": RcPlan.name, "created_at": RcPlan.created_at}


def plan_visible(scope: DataScope) -> ColumnElement[bool]:
    """Plans of the caller's region that their department initiated or takes part in (leaders: all)."""
    region = scope.condition(region=RcPlan.region_code)
    if scope.all_departments:
        return region
    department = scope.department
    if department is None:
        raise OutOfScope("your token carries no department")
    takes_part = exists().where(RcPlanDepartment.plan_id == RcPlan.id, RcPlanDepartment.department_id == department)
    return region & or_(RcPlan.department_id == department, takes_part)


async def _check_ratios(ratios: dict[str, float], settings: RandomCheckSettings) -> list[dict[str, Any]]:
    allowed = settings.ratio_keys()
    return [
        {
            "loc": ["body", "class_ratios", key],
            "msg": f"unknown credit class {key!r}; the classes are {', '.join(allowed)}",
        }
        for key in ratios
        if key not in allowed
    ]


async def _check_items(session: AsyncSession, data: PlanCreate) -> list[dict[str, Any]]:
    codes = {code for d in data.departments for code in d.item_codes}
    items = {i.code: i for i in (await session.scalars(select(RcItem).where(RcItem.code.in_(codes)))).all()}
    errors = []
    for d_index, dept in enumerate(data.departments):
        seen: set[str] = set()
        for c_index, code in enumerate(dept.item_codes):
            loc = ["body", "departments", d_index, "item_codes", c_index]
            item = items.get(code)
            if code in seen:
                errors.append({"loc": loc, "msg": f"item {code} is listed twice"})
            elif item is None:
                errors.append({"loc": loc, "msg": f"unknown item code {code}: not in the supervision item catalog"})
            elif item.status != ItemStatus.IN_FORCE.value:
                errors.append({"loc": loc, "msg": f"item {code} ({item.name}) has been abolished"})
            elif not item.random_check:
                errors.append({"loc": loc, "msg": f"item {code} ({item.name}) is not on the random-check item list"})
            seen.add(code)
    return errors


async def _check_departments(
    session: AsyncSession, data: PlanCreate, initiator: uuid.UUID, region_code: str
) -> list[dict[str, Any]]:
    ids = [d.department_id for d in data.departments]
    known = {
        d.department_id: d
        for d in (await session.scalars(select(RcDepartment).where(RcDepartment.department_id.in_(ids)))).all()
    }
    errors: list[dict[str, Any]] = []
    if initiator not in ids:
        errors.append(
            {"loc": ["body", "departments"], "msg": f"the initiating department {initiator} must take part in its plan"}
        )
    for index, dept_id in enumerate(ids):
        loc = ["body", "departments", index, "department_id"]
        dept = known.get(dept_id)
        if ids.index(dept_id) != index:
            errors.append({"loc": loc, "msg": f"department {dept_id} is listed twice"})
        elif dept is None:
            errors.append({"loc": loc, "msg": f"unknown department {dept_id}"})
        elif not dept.active:
            errors.append({"loc": loc, "msg": f"department {dept.name} is deactivated"})
        elif not (region_contains(dept.region_code, region_code) or region_contains(region_code, dept.region_code)):
            errors.append(
                {"loc": loc, "msg": f"department {dept.name} ({dept.region_code}) is outside region {region_code}"}
            )
    return errors


async def create(session: AsyncSession, data: PlanCreate, *, scope: DataScope, settings: RandomCheckSettings) -> RcPlan:
    region_code = data.region_code or scope.principal.region_code
    if region_code is None:
        raise InvalidInput("region_code: give the region whose objects are drawn")
    initiator = data.department_id or scope.department
    if initiator is None:
        raise InvalidInput("department_id: give the initiating department")
    scope.check_write(region_code=region_code, department_id=initiator)
    errors = await _check_ratios(data.class_ratios, settings)
    errors += await _check_items(session, data)
    errors += await _check_departments(session, data, initiator, region_code)
    ratios = {**{k: v for k, v in settings.default_class_ratios.items() if k in settings.ratio_keys()}}
    ratios.update({k: v for k, v in data.class_ratios.items() if k in settings.ratio_keys()})
    lead_ratio = data.lead_ratio if data.lead_ratio is not None else settings.default_lead_ratio
    if not errors and not any(ratios.values()) and not lead_ratio:
        errors.append({"loc": ["body", "class_ratios"], "msg": "every ratio is 0: the plan would never draw an object"})
    if errors:
        raise InvalidInput(f"the plan is not valid: {errors[0]['msg']}", errors=errors)
    plan = RcPlan(
        name=data.name,
        year=data.year,
        kind=PlanKind.JOINT if len(data.departments) > 1 else PlanKind.DEPARTMENT,
        status=PlanStatus.ACTIVE,
        department_id=initiator,
        region_code=region_code,
        class_ratios=ratios,
        lead_ratio=lead_ratio,
        object_kinds=[k.value for k in data.object_kinds],
        industry_codes=list(data.industry_codes),
        recent_check_days=data.recent_check_days if data.recent_check_days is not None else settings.recent_check_days,
        max_checks_per_period=data.max_checks_per_period or settings.max_checks_per_period,
        cap_period_days=data.cap_period_days or settings.cap_period_days,
        inspectors_per_object=data.inspectors_per_object,
        task_deadline_workdays=data.task_deadline_workdays or settings.task_deadline_workdays,
        description=data.description,
        created_by=actor(scope),
    )
    session.add(plan)
    await session.flush()
    for position, dept in enumerate(data.departments):
        session.add(
            RcPlanDepartment(
                plan_id=plan.id, department_id=dept.department_id, position=position, item_codes=list(dept.item_codes)
            )
        )
    await session.flush()
    return plan


async def participants(session: AsyncSession, plan_id: uuid.UUID) -> list[RcPlanDepartment]:
    return list(
        (
            await session.scalars(
                select(RcPlanDepartment).where(RcPlanDepartment.plan_id == plan_id).order_by(RcPlanDepartment.position)
            )
        ).all()
    )


async def department_names(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(RcDepartment.department_id, RcDepartment.name).where(RcDepartment.department_id.in_(ids))
    )
    return dict(rows.all())


async def read(session: AsyncSession, plan: RcPlan) -> PlanRead:
    members = await participants(session, plan.id)
    names = await department_names(session, [m.department_id for m in members])
    base = {k: getattr(plan, k) for k in PlanRead.model_fields if k != "departments"}
    return PlanRead(
        **base,
        departments=[
            PlanDepartmentRead(
                department_id=m.department_id, department_name=names.get(m.department_id), item_codes=m.item_codes
            )
            for m in members
        ],
    )


async def get(session: AsyncSession, plan_id: uuid.UUID, scope: DataScope) -> RcPlan:
    plan = await session.scalar(select(RcPlan).where(RcPlan.id == plan_id, plan_visible(scope)))
    if plan is None:
        raise UnknownRecord(f"no plan {plan_id} in your scope")
    return plan


async def list_plans(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    year: int | None = None,
    kind: PlanKind | None = None,
    status: PlanStatus | None = None,
    department_id: uuid.UUID | None = None,
    sort: str | None = None,
) -> tuple[list[RcPlan], int]:
    statement = select(RcPlan).where(plan_visible(scope))
    if year:
        statement = statement.where(RcPlan.year == year)
    if kind:
        statement = statement.where(RcPlan.kind == kind.value)
    if status:
        statement = statement.where(RcPlan.status == status.value)
    if department_id:
        statement = statement.where(
            or_(
                RcPlan.department_id == department_id,
                exists().where(RcPlanDepartment.plan_id == RcPlan.id, RcPlanDepartment.department_id == department_id),
            )
        )
    statement = statement.order_by(*order_by(sort, PLAN_SORT, "-year,name"), RcPlan.id)
    return await paginate(session, statement, params)


async def _has_run(session: AsyncSession, plan_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(exists().where(RcDraw.plan_id == plan_id, RcDraw.status == DrawStatus.REVEALED.value))
        )
    )


async def update(
    session: AsyncSession, plan_id: uuid.UUID, data: PlanUpdate, *, scope: DataScope, settings: RandomCheckSettings
) -> RcPlan:
    plan = await get(session, plan_id, scope)
    scope.check_write(region_code=plan.region_code, department_id=plan.department_id)
    changes = data.model_dump(exclude_unset=True)
    if await _has_run(session, plan.id):
        raise IllegalState("a draw of this plan has run; the plan is on record and cannot change (make a new plan)")
    if "class_ratios" in changes and changes["class_ratios"] is not None:
        errors = await _check_ratios(changes["class_ratios"], settings)
        if errors:
            raise InvalidInput(f"the plan is not valid: {errors[0]['msg']}", errors=errors)
        changes["class_ratios"] = {**plan.class_ratios, **changes["class_ratios"]}
    ratios = changes.get("class_ratios") or plan.class_ratios
    lead_ratio = changes["lead_ratio"] if changes.get("lead_ratio") is not None else plan.lead_ratio
    if not any(ratios.values()) and not lead_ratio:
        raise InvalidInput(
            "the plan is not valid: every ratio is 0: the plan would never draw an object",
            errors=[{"loc": ["body", "class_ratios"], "msg": "every ratio is 0"}],
        )
    for key, value in changes.items():
        if value is not None:
            setattr(plan, key, value)
    return plan


async def close(session: AsyncSession, plan_id: uuid.UUID, *, scope: DataScope) -> RcPlan:
    plan = await get(session, plan_id, scope)
    scope.check_write(region_code=plan.region_code, department_id=plan.department_id)
    if plan.status == PlanStatus.CLOSED.value:
        raise IllegalState("the plan is already closed")
    plan.status = PlanStatus.CLOSED
    return plan
