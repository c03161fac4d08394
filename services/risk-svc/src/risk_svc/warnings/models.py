"""Risk warnings (one open per object and model) and the disposal feedback on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Double, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from risk_svc.models import Base
from supervision_schemas.risk import DisposalOutcome, WarningLevel
from svc_runtime.db import utc_now


class WarningStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RiskWarning(Base):
    __tablename__ = "risk_warnings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    object_key: Mapped[str] = mapped_column(String(120))
    model_key: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int] = mapped_column(Integer)
    estimator: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str] = mapped_column(String(32))
    level: Mapped[WarningLevel] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Double)
    status: Mapped[WarningStatus] = mapped_column(String(8))
    object_name: Mapped[str] = mapped_column(String(300))
    uscc: Mapped[str | None] = mapped_column(String(18))
    object_id: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    responsible_department_id: Mapped[uuid.UUID | None] = mapped_column()
    responsible_department: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    trigger_event_id: Mapped[str] = mapped_column(String(200))
    update_count: Mapped[int] = mapped_column(Integer, default=0)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[DisposalOutcome | None] = mapped_column(String(16))

    __table_args__ = (
        Index(
            "uq_risk_warnings_open_object_model",
            "object_key",
            "model_key",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_risk_warnings_region_code", "region_code"),
        Index("ix_risk_warnings_raised_at", "raised_at"),
    )


class Disposal(Base):
    """How a department disposed of a warning; the label retraining learns from."""

    __tablename__ = "risk_disposals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    warning_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_warnings.id"), unique=True)
    model_key: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[DisposalOutcome] = mapped_column(String(16))
    label: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    source: Mapped[str] = mapped_column(String(100), default="/risk-svc", server_default="/risk-svc")
    features: Mapped[dict[str, float]] = mapped_column(JSONB)

    __table_args__ = (Index("ix_risk_disposals_model", "model_key", "recorded_at"),)
