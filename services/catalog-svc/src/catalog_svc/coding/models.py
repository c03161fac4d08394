"""Code schemes (编码规则) as data, and the ledger of every code ever allocated."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Enum, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog_svc.models import Base
from svc_runtime.db import utc_now


class CodeTarget(StrEnum):
    """What a scheme codes."""

    ITEM = "item"
    INSPECTION_LIST = "inspection_list"


def _target() -> Enum:
    return Enum(CodeTarget, name="code_target", values_callable=lambda e: [m.value for m in e])


class CodeScheme(Base):
    """One version of a coding scheme: ordered segments and the validators every code must pass."""

    __tablename__ = "code_schemes"

    scheme_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[CodeTarget] = mapped_column(_target())
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    min_length: Mapped[int] = mapped_column(Integer)
    max_length: Mapped[int] = mapped_column(Integer)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    validators: Mapped[list[str]] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=text("now()"))


class CodeAllocation(Base):
    """A code once allocated stays here for good: it is never reused or given to another record."""

    __tablename__ = "code_allocations"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[CodeTarget] = mapped_column(_target())
    prefix: Mapped[str] = mapped_column(String(64), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    scheme_id: Mapped[str] = mapped_column(String(60))
    scheme_version: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[uuid.UUID] = mapped_column()
    allocated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, server_default=text("now()")
    )
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
