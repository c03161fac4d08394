"""Table of quality errors: what broke which rule, for which providing department, and how it was resolved."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class QualityError(Base):
    """One error found in data a department provided; open until the record passes again or is dismissed."""

    __tablename__ = "quality_errors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    library: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str] = mapped_column(String(100))
    dimension: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    record_id: Mapped[uuid.UUID | None] = mapped_column()
    record_ref: Mapped[str] = mapped_column(String(200))
    # For refused rows (not stored): what a later, corrected record of the same thing is recognised by.
    subject_key: Mapped[str | None] = mapped_column(String(400))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    region_code: Mapped[str | None] = mapped_column(String(6))
    source: Mapped[str | None] = mapped_column(String(100))
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    row_number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "uq_quality_errors_open_rule_record",
            "rule",
            "record_ref",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_quality_errors_provider_status", "provider_department_id", "status"),
        Index("ix_quality_errors_open_record", "record_id", postgresql_where=text("status = 'open'")),
        Index(
            "ix_quality_errors_open_subject",
            "library",
            "subject_key",
            postgresql_where=text("status = 'open' AND subject_key IS NOT NULL"),
        ),
        Index("ix_quality_errors_region_code", "region_code"),
    )
