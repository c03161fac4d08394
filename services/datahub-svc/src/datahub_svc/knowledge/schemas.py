"""API shapes of the knowledge base."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from datahub_svc.objects.schemas import ChineseDate


class EntryType(StrEnum):
    """法律法规, 典型案例, 预案/监管方案, 监管规则/标准, 风险特征."""

    LAW = "law"
    CASE = "case"
    PLAN = "plan"
    RULE = "rule"
    RISK_FEATURE = "risk_feature"


class EntryStatus(StrEnum):
    IN_FORCE = "in_force"
    AMENDED = "amended"
    REPEALED = "repealed"
    DRAFT = "draft"


class Article(BaseModel):
    """One article (条) of a law or rule, so that catalog items and penalties can cite it."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(max_length=50, description="e.g. 第九十九条.")
    text: str = Field(max_length=20_000)


class KnowledgeIn(BaseModel):
    """A knowledge-base entry; `entry_type` and `code` identify it (a re-sent entry updates it).

    `attributes` hold what is particular to the type: a case's object type, decision and fine, a plan's
    level, a risk feature's indicators and thresholds.
    """

    model_config = ConfigDict(extra="forbid")

    entry_type: EntryType
    code: str = Field(max_length=200, description="文号 / 案号 / 编号.")
    title: str = Field(max_length=500)
    issuer: str | None = Field(default=None, max_length=200, description="发布机关.")
    issued_on: ChineseDate = None
    effective_on: ChineseDate = Field(default=None, description="施行日期.")
    expires_on: ChineseDate = None
    status: EntryStatus = EntryStatus.IN_FORCE
    region_code: str = Field(default="100000", max_length=20, description="Where it applies; 100000 nationwide.")
    industry_codes: list[str] = Field(default_factory=list, max_length=50)
    item_codes: list[str] = Field(default_factory=list, max_length=200, description="14-digit catalog item codes.")
    tags: list[str] = Field(default_factory=list, max_length=50)
    summary: str | None = Field(default=None, max_length=4000)
    body: str | None = Field(default=None, max_length=500_000)
    articles: list[Article] = Field(default_factory=list, max_length=2000)
    attributes: dict[str, Any] = Field(default_factory=dict)


class KnowledgeBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[KnowledgeIn] = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=100)


class KnowledgeSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    entry_type: EntryType
    code: str
    title: str
    issuer: str | None
    issued_on: date | None
    effective_on: date | None
    status: EntryStatus
    region_code: str
    item_codes: list[str]
    tags: list[str]
    summary: str | None
    modified_at: datetime


class KnowledgeRead(KnowledgeSummary):
    expires_on: date | None
    industry_codes: list[str]
    body: str | None
    articles: list[Article]
    attributes: dict[str, Any]
    source: str | None
