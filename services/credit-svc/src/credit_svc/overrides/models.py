"""Manual class overrides: the class an authorised official set, why, on what legal basis, and for how long."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base
from svc_runtime.db import utc_now


class OverrideStatus(StrEnum):
    ACTIVE = "active"  # in force from `valid_from` (scheduled until then) to `valid_until`
    LIFTED = "lifted"  # ended early by a decision
    EXPIRED = "expired"  # its validity ended


class GradeOverride(Base):
    """One override of an object's risk class; in force while active and valid_from <= today < valid_until."""

    __tablename__ = "credit_grade_overrides"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    object_id: Mapped[uuid.UUID] = mapped_column()
    risk_class: Mapped[str] = mapped_column(String(2))
    automatic_class: Mapped[str | None] = mapped_column(String(2), comment="The rules' class when it was decided.")
    status: Mapped[OverrideStatus] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, comment="First day the override no longer applies.")
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_by_department_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(String(200))
    end_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="validity"),
        CheckConstraint("status IN ('active', 'lifted', 'expired')", name="status"),
        Index("ix_credit_grade_overrides_object_id", "object_id", "created_at"),
        Index(
            "uq_credit_grade_overrides_active_object",
            "object_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_credit_grade_overrides_active_dates", "valid_until", postgresql_where=text("status = 'active'")),
    )
