"""Table of the credit library."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class CreditRecord(Base):
    """A credit grade (信用风险分类: the current one per object and source) or a credit-list entry.

    `record_key`: `grade:<source>:<object>` for grades, `list:<entry id>` for list entries.
    """

    __tablename__ = "credit_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_key: Mapped[str] = mapped_column(String(200), unique=True)
    record_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    risk_class: Mapped[str | None] = mapped_column(String(2))
    previous_class: Mapped[str | None] = mapped_column(String(2))
    score: Mapped[float | None] = mapped_column(Float)
    scheme: Mapped[str | None] = mapped_column(String(100))
    scheme_version: Mapped[int | None] = mapped_column(Integer)
    factors: Mapped[list[Any]] = mapped_column(JSONB, default=list, server_default="[]")
    list_type: Mapped[str | None] = mapped_column(String(30))
    action: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    link_method: Mapped[str] = mapped_column(String(10), default="none")
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
