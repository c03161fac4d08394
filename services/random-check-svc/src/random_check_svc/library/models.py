"""Tables of the list and the two databases (一单两库), kept current from other services' events."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from random_check_svc.models import Base
from svc_runtime.db import utc_now


class ItemStatus(StrEnum):
    IN_FORCE = "in_force"
    ABOLISHED = "abolished"


class ObjectStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"  # merged into another object by the data hub
    DEREGISTERED = "deregistered"  # 注销/吊销/关闭: no longer checked


class LeadSource(StrEnum):
    RISK_WARNING = "risk_warning"
    CREDIT_LIST = "credit_list"


class ConflictReason(StrEnum):
    """Why an inspector must recuse (回避) from an object."""

    RELATIVE = "relative"  # 近亲属
    FORMER_EMPLOYEE = "former_employee"  # 曾在该单位任职
    FINANCIAL_INTEREST = "financial_interest"  # 经济利益关系
    SAME_UNIT = "same_unit"  # 同一单位 / HR link
    OTHER = "other"


class RcItem(Base):
    """A supervision item of the catalog (一单: those with `random_check`), at its latest version."""

    __tablename__ = "rc_items"

    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(14), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(4))
    parent_code: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(300))
    item_type: Mapped[str] = mapped_column(String(40))
    supervision_level: Mapped[str] = mapped_column(String(20))
    implementing_department: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    domain: Mapped[str | None] = mapped_column(String(60))
    object_types: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    random_check: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[ItemStatus] = mapped_column(String(12))
    source_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class RcInspectionForm(Base):
    """An inspection implementation list (检查实施清单) and its form; results are validated against it."""

    __tablename__ = "rc_inspection_forms"

    list_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(14), index=True)
    version: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(6))
    implementing_agency: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))
    form: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RcObject(Base):
    """A supervised object (对象库) with its credit class; rows also arrive from credit grades first."""

    __tablename__ = "rc_objects"

    object_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    uscc: Mapped[str | None] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    industry_code: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[ObjectStatus] = mapped_column(String(14), default=ObjectStatus.ACTIVE, server_default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[uuid.UUID | None] = mapped_column()
    credit_class: Mapped[str | None] = mapped_column(String(2))
    credit_graded_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="Set once credit-svc graded the object; hub classes no longer apply."
    )
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    source_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_rc_objects_region_code", "region_code", postgresql_ops={"region_code": "text_pattern_ops"}),
        Index("ix_rc_objects_uscc", "uscc", postgresql_where=text("uscc IS NOT NULL")),
    )


class RcLead(Base):
    """An open or closed lead on an object (risk warning, abnormal/serious-violation list): class A is checked then."""

    __tablename__ = "rc_leads"

    lead_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[LeadSource] = mapped_column(String(14))
    object_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    detail: Mapped[str] = mapped_column(String(300))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RcDepartment(Base):
    """A department of the organisation tree (from auth-svc)."""

    __tablename__ = "rc_departments"

    department_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_type: Mapped[str] = mapped_column(String(60))
    region_code: Mapped[str] = mapped_column(String(6))
    active: Mapped[bool] = mapped_column(Boolean)
    source_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RcInspector(Base):
    """An inspector (检查人员库): department, qualifications, enforcement certificate and its validity."""

    __tablename__ = "rc_inspectors"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[uuid.UUID] = mapped_column(index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    certificate_number: Mapped[str | None] = mapped_column(String(50))
    certificate_valid_from: Mapped[date | None] = mapped_column(Date)
    certificate_valid_until: Mapped[date | None] = mapped_column(Date)
    qualifications: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    status: Mapped[str] = mapped_column(String(10))
    source_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RcConflict(Base):
    """A declared conflict of interest (利害关系): the inspector is never drawn for the object."""

    __tablename__ = "rc_conflicts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    inspector_id: Mapped[uuid.UUID] = mapped_column(index=True)
    object_id: Mapped[uuid.UUID] = mapped_column(index=True)
    reason: Mapped[ConflictReason] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID] = mapped_column(comment="The inspector's department (data scope).")
    region_code: Mapped[str] = mapped_column(String(6))
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
