"""The organisation tree: administrative regions (GB/T 2260) and the departments under them."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auth_svc.models import Base
from supervision_schemas.auth import RegionLevel
from svc_runtime.db import IDMixin, TimestampMixin


class DepartmentType(StrEnum):
    MARKET_REGULATION = "market_regulation"
    DRUGS = "drugs"
    ECOLOGY_ENVIRONMENT = "ecology_environment"
    EMERGENCY_MANAGEMENT = "emergency_management"
    HOUSING_CONSTRUCTION = "housing_construction"
    HEALTH = "health"
    TRANSPORT = "transport"
    AGRICULTURE = "agriculture"
    CULTURE_TOURISM = "culture_tourism"
    OTHER = "other"


class DepartmentStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Region(TimestampMixin, Base):
    """An administrative region; its level follows from the code's shape and matches its parent's."""

    __tablename__ = "regions"
    __table_args__ = (CheckConstraint("level IN ('national', 'province', 'city', 'county')", name="level"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False, default=RegionLevel.COUNTY.value)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Department(IDMixin, TimestampMixin, Base):
    """A government department (e.g. a county market regulation bureau) in a region, under a parent."""

    __tablename__ = "departments"
    __table_args__ = (
        UniqueConstraint("region_code", "name", name="uq_departments_region_code_name"),
        CheckConstraint("status IN ('active', 'inactive')", name="status"),
    )

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=DepartmentStatus.ACTIVE.value)
