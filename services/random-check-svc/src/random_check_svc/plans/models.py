"""Tables of check plans (抽查计划): per department and year, or joint across departments."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Double, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from random_check_svc.models import Base
from svc_runtime.db import utc_now


class PlanKind(StrEnum):
    DEPARTMENT = "department"
    JOINT = "joint"  # 跨部门联合抽查: one visit, several departments' items


class PlanStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class RcPlan(Base):
    __tablename__ = "rc_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[PlanKind] = mapped_column(String(12))
    status: Mapped[PlanStatus] = mapped_column(String(10), default=PlanStatus.ACTIVE)
    department_id: Mapped[uuid.UUID] = mapped_column(index=True, comment="The initiating department.")
    region_code: Mapped[str] = mapped_column(String(6), index=True, comment="Objects of this region are drawn.")
    class_ratios: Mapped[dict[str, float]] = mapped_column(JSONB)
    lead_ratio: Mapped[float] = mapped_column(Double)
    object_kinds: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    industry_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    recent_check_days: Mapped[int] = mapped_column(Integer)
    max_checks_per_period: Mapped[int] = mapped_column(Integer)
    cap_period_days: Mapped[int] = mapped_column(Integer)
    inspectors_per_object: Mapped[int] = mapped_column(Integer)
    task_deadline_workdays: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), onupdate=utc_now)


class RcPlanDepartment(Base):
    """A participating department of a plan and the random-check items it checks."""

    __tablename__ = "rc_plan_departments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rc_plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))

    __table_args__ = (UniqueConstraint("plan_id", "department_id", name="uq_rc_plan_departments_plan_department"),)
