"""Public shapes: only what may be disclosed (no credit classes, no inspectors' workloads, no internal notes)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from random_check_svc.draws.models import DrawStatus
from random_check_svc.plans.models import PlanKind
from supervision_schemas.randomcheck import ResultCategory


class PublicItem(BaseModel):
    code: str
    name: str
    domain: str | None
    implementing_department: str
    supervision_level: str
    region_code: str
    object_types: list[str]


class PublicPlanDepartment(BaseModel):
    department_id: uuid.UUID
    department_name: str | None
    item_codes: list[str]


class PublicPlan(BaseModel):
    id: uuid.UUID
    name: str
    year: int
    kind: PlanKind
    region_code: str
    departments: list[PublicPlanDepartment]
    created_at: datetime


class PublicDraw(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    status: DrawStatus
    algorithm: str
    check_date: date
    seed_hash: str
    seed: str | None
    public_entropy: str | None
    inputs_hash: str | None
    outputs_hash: str | None
    population: int | None
    visits: int | None
    tasks: int | None
    committed_at: datetime
    drawn_at: datetime | None


class PublicResult(BaseModel):
    result_id: uuid.UUID
    plan_name: str
    joint: bool
    object_name: str
    uscc: str | None
    region_code: str
    department_name: str | None
    item_codes: list[str]
    checked_on: date
    category: ResultCategory
    problem_found: bool
    summary: str | None
    published_at: datetime
