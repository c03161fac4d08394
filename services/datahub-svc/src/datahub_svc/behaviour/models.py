"""Tables of the supervision-behaviour library and the link review queue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Date, DateTime, Float, Index, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class BehaviourRecord(Base):
    """One supervision act as the national exchange carries it (行政检查/行政处罚/行政强制/其他)."""

    __tablename__ = "behaviour_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_type: Mapped[str] = mapped_column(String(30))
    record_code: Mapped[str] = mapped_column(String(100))
    item_code: Mapped[str] = mapped_column(String(14), index=True)
    inspection_list_code: Mapped[str | None] = mapped_column(String(800))
    random_plan_id: Mapped[str | None] = mapped_column(String(100))
    implementing_agency: Mapped[str] = mapped_column(String(200))
    implementing_agency_code: Mapped[str | None] = mapped_column(String(20))
    entrusted_agency: Mapped[str | None] = mapped_column(String(200))
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_name: Mapped[str] = mapped_column(String(300))
    credential_type: Mapped[str | None] = mapped_column(String(30))
    object_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    object_id_number: Mapped[str | None] = mapped_column(String(18))
    object_id_number_masked: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    registered_address: Mapped[str | None] = mapped_column(String(500))
    business_address: Mapped[str | None] = mapped_column(String(500))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    acted_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(200))
    officers: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    certificate_numbers: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reporter: Mapped[str | None] = mapped_column(String(100))
    penalty_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    object_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    link_method: Mapped[str] = mapped_column(String(10))
    link_score: Mapped[float | None] = mapped_column(Float)
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("record_type", "record_code", name="uq_behaviour_records_record_type"),
        Index("ix_behaviour_records_search_vector", "search_vector", postgresql_using="gin"),
    )


class LinkReview(Base):
    """An uncertain match waiting for a person: link the record to the candidate object, or not."""

    __tablename__ = "link_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    candidate_object_id: Mapped[uuid.UUID]
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[uuid.UUID | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
