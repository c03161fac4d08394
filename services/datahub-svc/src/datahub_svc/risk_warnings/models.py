"""Table of risk warnings kept from risk-svc."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, String, func
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class RiskWarning(Base):
    """A risk warning (风险预警) about an object, open until risk-svc closes it."""

    __tablename__ = "risk_warnings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the warning id (fxyjId)
    object_key: Mapped[str] = mapped_column(String(200))
    object_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    title: Mapped[str] = mapped_column(String(500))
    level: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    domain: Mapped[str] = mapped_column(String(30))
    rule_id: Mapped[str] = mapped_column(String(200))
    responsible_department_id: Mapped[uuid.UUID | None] = mapped_column()
    responsible_department: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
