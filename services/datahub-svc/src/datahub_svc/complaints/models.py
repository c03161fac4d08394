"""Table of the complaints library."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class Complaint(Base):
    """A complaint (投诉) or report (举报) about a supervised object, with its handling status and result.

    `complaint_key` is complaint-svc's complaint id, else `<channel>:<the provider's number>`.
    The complainant's name and phone are personal data, stored with masked renderings.
    """

    __tablename__ = "complaints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    complaint_key: Mapped[str] = mapped_column(String(160), unique=True)
    tracking_no: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(50))
    channel_ref: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_code: Mapped[str | None] = mapped_column(String(50))
    result_summary: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    complainant_name: Mapped[str | None] = mapped_column(String(100))
    complainant_name_masked: Mapped[str | None] = mapped_column(String(100))
    complainant_phone: Mapped[str | None] = mapped_column(String(20))
    complainant_phone_masked: Mapped[str | None] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    department_name: Mapped[str | None] = mapped_column(String(200))
    target_name: Mapped[str | None] = mapped_column(String(300))
    target_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    target_industry_code: Mapped[str | None] = mapped_column(String(10))
    object_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    link_method: Mapped[str] = mapped_column(String(10), default="none")
    link_score: Mapped[float | None] = mapped_column(Float)
    search_vector: Mapped[Any] = mapped_column(TSVECTOR)
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    source_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_complaints_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_complaints_received_at", "received_at"),
        Index("ix_complaints_unlinked", "target_uscc", postgresql_where=text("object_id IS NULL")),
    )
