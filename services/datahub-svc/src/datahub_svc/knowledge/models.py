"""Table of the knowledge base."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Index, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from datahub_svc.models import Base
from svc_runtime.db import utc_now


class KnowledgeEntry(Base):
    """A law or regulation, typical case, plan, rule or risk feature; `entry_key` is `<type>:<code>`."""

    __tablename__ = "knowledge_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    entry_key: Mapped[str] = mapped_column(String(300), unique=True)
    entry_type: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    item_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    articles: Mapped[list[Any]] = mapped_column(JSONB, default=list, server_default="[]")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR)
    source: Mapped[str | None] = mapped_column(String(100))
    provider_department_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())

    __table_args__ = (
        Index("ix_knowledge_entries_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_knowledge_entries_item_codes", "item_codes", postgresql_using="gin"),
    )
