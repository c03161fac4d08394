"""Grading schemes (the index system as data, versioned), current grades and the grade history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from credit_svc.models import Base
from svc_runtime.db import utc_now


class SchemeStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class GradeTrigger(StrEnum):
    EVENT = "event"
    RECOMPUTE = "recompute"
    RECORD = "record"
    LIST = "list"
    SWEEP = "sweep"
    MANUAL = "manual"
    OVERRIDE = "override"  # a manual class override took effect
    OVERRIDE_END = "override_end"  # an override expired or was lifted: the automatic class resumes


class GradingScheme(Base):
    """One version of an index system: indicators with weights and rules, class bands, forced classes."""

    __tablename__ = "grading_schemes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    region_prefix: Mapped[str] = mapped_column(String(6), default="", server_default="")
    status: Mapped[SchemeStatus] = mapped_column(String(10))
    base_score: Mapped[float] = mapped_column(Float)
    min_score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    classes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    forced: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    model_weight: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_grading_schemes_key_version"),
        Index(
            "uq_grading_schemes_active_region", "region_prefix", unique=True, postgresql_where=text("status = 'active'")
        ),
    )


class CreditGrade(Base):
    """The current grade of an object (kept narrow: its contributions and feature values are in the history
    entry `history_id`); `input_version` is the object's input version it was computed from."""

    __tablename__ = "credit_grades"

    object_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    scheme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grading_schemes.id"))
    scheme_key: Mapped[str] = mapped_column(String(64))
    scheme_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    rule_score: Mapped[float] = mapped_column(Float)
    model_score: Mapped[float | None] = mapped_column(Float)
    risk_class: Mapped[str] = mapped_column(String(2))
    class_rank: Mapped[int] = mapped_column(SmallInteger)
    previous_class: Mapped[str | None] = mapped_column(String(2))
    previous_score: Mapped[float | None] = mapped_column(Float)
    history_id: Mapped[int | None] = mapped_column(BigInteger)
    automatic_class: Mapped[str | None] = mapped_column(String(2), comment="The rules' class (before an override).")
    override_id: Mapped[uuid.UUID | None] = mapped_column(comment="The manual override in force, if any.")
    input_version: Mapped[int] = mapped_column(BigInteger)
    trigger: Mapped[GradeTrigger] = mapped_column(String(12))
    trigger_ref: Mapped[str | None] = mapped_column(String(200))
    graded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_credit_grades_risk_class", "risk_class"),
        Index("ix_credit_grades_override_id", "override_id", postgresql_where=text("override_id IS NOT NULL")),
    )


class GradeHistory(Base):
    """Every change of an object's score or class (append-only)."""

    __tablename__ = "credit_grade_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    object_id: Mapped[uuid.UUID] = mapped_column()
    scheme_id: Mapped[uuid.UUID] = mapped_column()
    scheme_key: Mapped[str] = mapped_column(String(64))
    scheme_version: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    rule_score: Mapped[float] = mapped_column(Float)
    model_score: Mapped[float | None] = mapped_column(Float)
    risk_class: Mapped[str] = mapped_column(String(2))
    previous_class: Mapped[str | None] = mapped_column(String(2))
    previous_score: Mapped[float | None] = mapped_column(Float)
    contributions: Mapped[list[float]] = mapped_column(ARRAY(Float))
    feature_values: Mapped[list[float]] = mapped_column(ARRAY(Float))
    automatic_class: Mapped[str | None] = mapped_column(String(2))
    override_id: Mapped[uuid.UUID | None] = mapped_column()
    trigger: Mapped[GradeTrigger] = mapped_column(String(12))
    trigger_ref: Mapped[str | None] = mapped_column(String(200))
    graded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (Index("ix_credit_grade_history_object", "object_id", "id"),)
