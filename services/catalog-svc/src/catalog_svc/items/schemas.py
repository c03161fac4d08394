"""API shapes of supervision items."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog_svc.items.kinds import ObjectType, SupervisionMethod
from catalog_svc.items.models import ChangeKind, ItemKind, ItemSource, ItemStatus
from supervision_schemas.catalog import ItemType, SupervisionLevel
from supervision_schemas.identifiers import ItemCode, NormalisedStr, RegionCode, UnifiedSocialCreditCode

Text = NormalisedStr


class LegalBasisIn(BaseModel):
    """A 设定依据: an article of the law library, or a law title and article given as text."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    article_id: uuid.UUID | None = Field(default=None, description="An article of the law library.")
    law_id: uuid.UUID | None = Field(default=None, description="A law of the library (with `article`).")
    law_title: Text | None = Field(default=None, max_length=300, description="e.g. 中华人民共和国食品安全法")
    article: Text | None = Field(default=None, max_length=100, description="e.g. 第一百一十条")
    clause: Text | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _names_a_law(self) -> LegalBasisIn:
        if not (self.article_id or self.law_id or self.law_title):
            raise ValueError("a legal basis needs article_id, law_id or law_title")
        return self


class LegalBasisRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    law_id: uuid.UUID | None
    article_id: uuid.UUID | None
    law_title: str
    article: str | None
    clause: str | None


class _ItemFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    guiding_department: Text | None = Field(default=None, max_length=200, description="业务指导部门")
    agency_uscc: UnifiedSocialCreditCode | None = Field(default=None, description="USCC of the implementing agency.")
    domain: Text | None = Field(default=None, max_length=60, description="Field of supervision (业务领域), e.g. 食品.")
    supervision_methods: list[SupervisionMethod] = Field(default_factory=list, description="监管方式")
    measures: list[Text] = Field(default_factory=list, max_length=50, description="监管措施")
    object_types: list[ObjectType] = Field(default_factory=list, description="监管对象类型")
    process: Text | None = Field(default=None, max_length=8000, description="监管流程")
    result: Text | None = Field(default=None, max_length=8000, description="监管结果")
    legal_basis: Text | None = Field(default=None, max_length=4000, description="设定依据 as text, e.g. 《法》第十条.")
    legal_bases: list[LegalBasisIn] = Field(default_factory=list, max_length=50, description="设定依据, structured.")
    random_check: bool = Field(default=False, description="Whether this is a random-check item (随机抽查事项).")


class ItemCreate(_ItemFields):
    """A new draft supervision item (主项, or 子项 with `parent_id`); unknown fields are refused."""

    code: ItemCode | None = Field(default=None, description="14-digit item code, if already assigned (e.g. national).")
    kind: ItemKind = ItemKind.MAIN
    parent_id: uuid.UUID | None = Field(default=None, description="The main item of a sub item.")
    name: Text = Field(min_length=1, max_length=300, description="Item name, e.g. 对食品生产经营者的监督检查.")
    item_type: ItemType
    supervision_level: SupervisionLevel
    implementing_department: Text = Field(min_length=1, max_length=200, description="实施部门")
    department_id: uuid.UUID | None = Field(default=None, description="Owning department (default: the caller's).")
    region_code: RegionCode = Field(description="GB/T 2260 code of the implementing region.")
    source: ItemSource = ItemSource.LOCAL

    @model_validator(mode="after")
    def _kind_matches_parent(self) -> ItemCreate:
        if self.parent_id is not None:
            self.kind = ItemKind.SUB
        elif self.kind is ItemKind.SUB:
            raise ValueError("a sub item needs parent_id")
        return self


class ItemUpdate(BaseModel):
    """Changes to a draft or returned item (only the fields given change)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text | None = Field(default=None, min_length=1, max_length=300)
    item_type: ItemType | None = None
    supervision_level: SupervisionLevel | None = None
    implementing_department: Text | None = Field(default=None, min_length=1, max_length=200)
    guiding_department: Text | None = Field(default=None, max_length=200)
    agency_uscc: UnifiedSocialCreditCode | None = None
    domain: Text | None = Field(default=None, max_length=60)
    supervision_methods: list[SupervisionMethod] | None = None
    measures: list[Text] | None = Field(default=None, max_length=50)
    object_types: list[ObjectType] | None = None
    process: Text | None = Field(default=None, max_length=8000)
    result: Text | None = Field(default=None, max_length=8000)
    legal_basis: Text | None = Field(default=None, max_length=4000)
    legal_bases: list[LegalBasisIn] | None = Field(default=None, max_length=50)
    random_check: bool | None = None


class Review(BaseModel):
    """Aggregation review (事项汇聚审核) of a submitted item."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "return"]
    comment: Text | None = Field(default=None, max_length=4000, description="Required when returning.")

    @model_validator(mode="after")
    def _return_has_comment(self) -> Review:
        if self.decision == "return" and not self.comment:
            raise ValueError("returning an item needs a comment")
        return self


class Adjustment(BaseModel):
    """Dynamic adjustment of a published item: the changes and why (e.g. an amended article)."""

    model_config = ConfigDict(extra="forbid")

    changes: ItemUpdate
    reason: Text = Field(min_length=1, max_length=2000)


class Abolition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Text | None = Field(default=None, max_length=4000)


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ItemKind
    parent_id: uuid.UUID | None
    code: str | None
    name: str
    main_item_name: str | None
    item_type: ItemType
    supervision_level: SupervisionLevel
    implementing_department: str
    guiding_department: str | None
    department_id: uuid.UUID | None
    agency_uscc: str | None
    region_code: str
    domain: str | None
    supervision_methods: list[str]
    measures: list[str]
    object_types: list[str]
    process: str | None
    result: str | None
    legal_basis: str | None
    legal_bases: list[LegalBasisRead] = Field(default_factory=list)
    random_check: bool
    status: ItemStatus
    version: int
    source: ItemSource
    published_at: datetime | None
    abolished_at: datetime | None
    created_at: datetime


class ItemSummary(BaseModel):
    """An item in a list (without its legal bases)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ItemKind
    parent_id: uuid.UUID | None
    code: str | None
    name: str
    item_type: ItemType
    supervision_level: SupervisionLevel
    implementing_department: str
    department_id: uuid.UUID | None
    region_code: str
    domain: str | None
    object_types: list[str]
    random_check: bool
    status: ItemStatus
    version: int
    legal_basis: str | None
    created_at: datetime


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    change: ChangeKind
    status: ItemStatus
    comment: str | None
    actor: str | None
    created_at: datetime
    valid_to: datetime | None
    snapshot: dict[str, Any]


class FieldDiff(BaseModel):
    field: str
    before: Any
    after: Any


class VersionComparison(BaseModel):
    item_id: uuid.UUID
    from_version: int
    to_version: int
    differences: list[FieldDiff]


class StatisticsRow(BaseModel):
    key: str | None
    count: int


class Statistics(BaseModel):
    group_by: str
    total: int
    rows: list[StatisticsRow]


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_name: Text = Field(min_length=1, max_length=200)
    department_id: uuid.UUID | None = Field(default=None, description="Default: the caller's department.")
    region_code: RegionCode
    supervision_level: SupervisionLevel


class ClaimRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    item_id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    region_code: str
    supervision_level: SupervisionLevel
    created_at: datetime


class MappingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_item_id: uuid.UUID


class MappingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    local_item_id: uuid.UUID
    target_item_id: uuid.UUID
    basis: str
    created_at: datetime


class MappingSuggestion(BaseModel):
    item: ItemSummary
    shared_legal_bases: list[str]
    name_similarity: float
    score: float
