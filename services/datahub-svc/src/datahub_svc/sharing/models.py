"""The access log of shared data: append-only (a trigger refuses updates and deletes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class AccessLogEntry(Base):
    """Who read or exported which shared data, with which filters, how many records, masked or not."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    subject: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    region_code: Mapped[str | None] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(20))
    dataset: Mapped[str] = mapped_column(String(30))
    record_ref: Mapped[str | None] = mapped_column(String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    records: Mapped[int] = mapped_column(Integer)
    masked: Mapped[bool] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_access_log_at", "at"),
        Index("ix_access_log_subject", "subject"),
        Index("ix_access_log_region_code", "region_code"),
    )
