"""Table of third-party and key-enterprise data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class ThirdPartyRecord(Base):
    """One observation about an object: public opinion, production data, a monitoring reading, an ad hit.

    `record_key` is the observation id of the signal, else `<source>:<the provider's id>`.
    """

    __tablename__ = "thirdparty_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(100))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    values: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    threshold_exceeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    excerpt: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    object_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    object_name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(10))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    link_method: Mapped[str] = mapped_column(String(10), default="none")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR)
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_thirdparty_records_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_thirdparty_records_observed_at", "observed_at"),
    )
