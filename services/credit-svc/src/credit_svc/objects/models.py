"""The object view (from the data hub) and the grading inputs kept from other services' events."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, DateTime, Float, Identity, Index, Integer, SmallInteger, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base
from svc_runtime.db import utc_now


class ObjectStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"


class SignalKind(StrEnum):
    """A fact about an object that grading counts (penalties and lists are credit records instead)."""

    INSPECTION_PASSED = "inspection_passed"
    INSPECTION_FAILED = "inspection_failed"
    INSPECTION = "inspection"  # result not recognised: counted as an inspection only
    ENFORCEMENT_MEASURE = "enforcement_measure"
    OTHER_ACT = "other_act"
    COMPLAINT = "complaint"
    REPORT = "report"
    THIRD_PARTY = "third_party"
    THIRD_PARTY_ADVERSE = "third_party_adverse"


class WarningStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


WARNING_LEVEL_RANK = {"blue": 1, "yellow": 2, "orange": 3, "red": 4}


class CreditObject(Base):
    """A supervised object as the data hub last described it; `input_version` counts changes of its inputs."""

    __tablename__ = "credit_objects"

    object_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    uscc: Mapped[str | None] = mapped_column(String(18))
    owner_uscc: Mapped[str | None] = mapped_column(String(18))
    code: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    industry_code: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[ObjectStatus] = mapped_column(String(10), default=ObjectStatus.ACTIVE, server_default="active")
    merged_into: Mapped[uuid.UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    source_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    input_version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_credit_objects_uscc", "uscc", postgresql_where=text("uscc IS NOT NULL")),
        Index("ix_credit_objects_region_code", "region_code"),
        Index("ix_credit_objects_department_id", "department_id", postgresql_where=text("department_id IS NOT NULL")),
    )


class CreditSignal(Base):
    """One inspection, measure, complaint or third-party observation; `source_ref` makes a re-send the same signal."""

    __tablename__ = "credit_signals"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    object_id: Mapped[uuid.UUID | None] = mapped_column()
    origin_object_id: Mapped[uuid.UUID | None] = mapped_column()
    uscc: Mapped[str | None] = mapped_column(String(18))
    kind: Mapped[SignalKind] = mapped_column(String(24))
    occurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[float | None] = mapped_column(Float)
    source_ref: Mapped[str] = mapped_column(String(200), unique=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_credit_signals_object", "object_id", "occurred_on", postgresql_where=text("object_id IS NOT NULL")),
        Index("ix_credit_signals_unlinked_uscc", "uscc", postgresql_where=text("object_id IS NULL")),
    )


class CreditWarning(Base):
    """A risk warning of risk-svc about an object, open until risk-svc closes it."""

    __tablename__ = "credit_warnings"

    warning_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    object_id: Mapped[uuid.UUID | None] = mapped_column()
    object_key: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    level: Mapped[str] = mapped_column(String(10))
    level_rank: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float)
    model_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[WarningStatus] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_credit_warnings_object", "object_id", postgresql_where=text("object_id IS NOT NULL")),
        Index("ix_credit_warnings_unlinked_uscc", "uscc", postgresql_where=text("object_id IS NULL")),
    )
