"""The hot spots found so far, with what was last published about each."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from complaint_svc.models import Base


class Hotspot(Base):
    """One cluster (dimension and key) that has been hot at least once; `hot` says whether it is now."""

    __tablename__ = "complaint_hotspots"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str | None] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(20))
    hot: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[int] = mapped_column(Integer)
    previous_count: Mapped[int] = mapped_column(Integer)
    growth: Mapped[float | None] = mapped_column(Float)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    published_count: Mapped[int] = mapped_column(Integer, comment="The count the last detected/grown event carried.")
    categories: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    complaint_ids: Mapped[list[str]] = mapped_column(ARRAY(String(36)), default=list)
    object: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    window_days: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cooled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("dimension", "key"),
        Index("ix_complaint_hotspots_hot", "dimension", "count", postgresql_where=text("hot")),
    )
