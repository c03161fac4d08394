"""Feature state: day buckets per object and feature, and the latest profile of each object."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Double, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from risk_svc.models import Base
from svc_runtime.db import utc_now


class FeatureBucket(Base):
    """The contribution of one object's events of one day to one feature."""

    __tablename__ = "risk_feature_buckets"

    object_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    feature: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Double, nullable=False)


class RiskObject(Base):
    """What the signals said last about an object: identity, region, industry, supervising department."""

    __tablename__ = "risk_objects"

    object_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    uscc: Mapped[str | None] = mapped_column(String(18))
    object_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(8))
    department_id: Mapped[uuid.UUID | None] = mapped_column()
    department_name: Mapped[str | None] = mapped_column(String(200))
    last_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RiskHotspot(Base):
    """What complaint-svc last said about one hot spot (industry, region or object); `level` 0 once cooled."""

    __tablename__ = "risk_hotspots"

    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    hotspot_id: Mapped[uuid.UUID] = mapped_column()
    change: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, comment="0 cooled, 1 hot, 2 hot and growing")
    count: Mapped[int] = mapped_column(Integer)
    previous_count: Mapped[int] = mapped_column(Integer)
    growth: Mapped[float | None] = mapped_column(Double)
    reports: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str | None] = mapped_column(String(6))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    window_days: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_id: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_risk_hotspots_hot", "dimension", "key", postgresql_where=text("level > 0")),)


class RebuildStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FeatureRebuild(Base):
    """One replay of the signal topics from the beginning into empty feature tables."""

    __tablename__ = "risk_feature_rebuilds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[RebuildStatus] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
