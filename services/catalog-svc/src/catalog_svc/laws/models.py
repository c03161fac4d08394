"""The legal-basis library (法律法规库) and the adjustment work (立改废释) it opens."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from catalog_svc.models import Base
from svc_runtime.db import IDMixin, TimestampMixin, utc_now


class ArticleStatus(StrEnum):
    IN_FORCE = "in_force"
    AMENDED = "amended"
    REPEALED = "repealed"
    REINTERPRETED = "reinterpreted"


class ArticleChange(StrEnum):
    """立改废释: enactment is a new article; these change an existing one."""

    AMEND = "amend"
    REPEAL = "repeal"
    INTERPRET = "interpret"


class TaskStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """How the owner closed an adjustment task."""

    ADJUSTED = "adjusted"
    ABOLISHED = "abolished"
    UNCHANGED = "unchanged"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class Law(IDMixin, TimestampMixin, Base):
    __tablename__ = "laws"

    title: Mapped[str] = mapped_column(String(300), unique=True)
    document_number: Mapped[str | None] = mapped_column(String(100))
    issuer: Mapped[str | None] = mapped_column(String(200))
    effective_on: Mapped[date | None] = mapped_column(Date)


class LawArticle(IDMixin, TimestampMixin, Base):
    __tablename__ = "law_articles"

    law_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("laws.id"), index=True)
    article: Mapped[str] = mapped_column(String(100))
    text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ArticleStatus] = mapped_column(
        _enum(ArticleStatus, "article_status"), default=ArticleStatus.IN_FORCE
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("law_id", "article", name="uq_law_articles_law_id_article"),)


class LawArticleChange(IDMixin, Base):
    """One amendment, repeal or reinterpretation of an article (立改废释), with the text before and after."""

    __tablename__ = "law_article_changes"

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("law_articles.id"), index=True)
    change: Mapped[ArticleChange] = mapped_column(_enum(ArticleChange, "article_change"))
    version: Mapped[int] = mapped_column(Integer)
    previous_text: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    effective_on: Mapped[date | None] = mapped_column(Date)
    affected_items: Mapped[int] = mapped_column(Integer, default=0)
    affected_lists: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, server_default=sql_text("now()")
    )


class AdjustmentTask(IDMixin, Base):
    """Work opened for an item's owner when an article it rests on changes."""

    __tablename__ = "adjustment_tasks"

    change_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("law_article_changes.id"), index=True)
    item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("supervision_items.id"), index=True)
    inspection_list_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspection_lists.id"), index=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("law_articles.id"), index=True)
    change: Mapped[ArticleChange] = mapped_column(_enum(ArticleChange, "article_change"))
    note: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus, "adjustment_task_status"), default=TaskStatus.OPEN)
    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution, "adjustment_resolution"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, server_default=sql_text("now()")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
