"""Table of the enforcement-personnel library."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ARRAY, Date, DateTime, Index, String, Text, func
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class EnforcementOfficer(Base):
    """An enforcement officer (执法人员): unit, post, certificate (执法证) and qualifications.

    `personnel_key` is `user:<id>` for officers of the identity system, else `cert:<certificate number>`.
    """

    __tablename__ = "enforcement_personnel"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    personnel_key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    unit: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    post: Mapped[str | None] = mapped_column(String(100))
    certificate_number: Mapped[str | None] = mapped_column(String(50), index=True)
    certificate_issuer: Mapped[str | None] = mapped_column(String(200))
    certificate_valid_from: Mapped[date | None] = mapped_column(Date)
    certificate_valid_until: Mapped[date | None] = mapped_column(Date)
    qualifications: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    status: Mapped[str] = mapped_column(String(20))
    search_vector: Mapped[Any] = mapped_column(TSVECTOR)
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    source_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (Index("ix_enforcement_personnel_search_vector", "search_vector", postgresql_using="gin"),)
