"""Events of catalog-svc: the supervision item catalog (监管事项目录)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData
from supervision_schemas.identifiers import ItemCode, NormalisedStr

CATALOG_ITEMS_TOPIC = "supervision.catalog.items"


class ItemType(StrEnum):
    """Kind of supervision act an item authorises (事项类型)."""

    ADMINISTRATIVE_INSPECTION = "administrative_inspection"
    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    ENFORCEMENT_MEASURE = "enforcement_measure"
    OTHER = "other"


class SupervisionLevel(StrEnum):
    """Administrative level at which the item is implemented (监管层级)."""

    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class ItemCreatedData(EventData):
    """A supervision item was entered into the catalog."""

    item_id: uuid.UUID
    code: ItemCode | None = Field(default=None, description="14-digit national item code, once assigned.")
    name: NormalisedStr = Field(min_length=1, max_length=300)
    item_type: ItemType
    supervision_level: SupervisionLevel
    implementing_department: NormalisedStr = Field(min_length=1, max_length=200)
    region_code: str = Field(pattern=r"^\d{6}$")
    legal_basis: NormalisedStr | None = Field(default=None, max_length=4000)
    created_at: AwareDatetime


class ItemCreated(CloudEvent):
    """`gov.supervision.catalog.item.created.v1`"""

    topic: ClassVar[str] = CATALOG_ITEMS_TOPIC
    type: Literal["gov.supervision.catalog.item.created.v1"] = "gov.supervision.catalog.item.created.v1"
    data: ItemCreatedData


CATALOG_INSPECTION_LISTS_TOPIC = "supervision.catalog.inspection-lists"


class LegalBasisRef(EventData):
    """One legal basis (设定依据) of an item: a law and an article of it."""

    law_title: NormalisedStr = Field(min_length=1, max_length=300)
    article: NormalisedStr | None = Field(default=None, max_length=100)
    law_id: uuid.UUID | None = None
    article_id: uuid.UUID | None = None


class ItemSnapshotData(EventData):
    """The published content of a supervision item (主项 or 子项) at one version."""

    item_id: uuid.UUID
    code: ItemCode
    version: int = Field(ge=1)
    kind: Literal["main", "sub"]
    parent_id: uuid.UUID | None = None
    parent_code: ItemCode | None = None
    name: NormalisedStr = Field(min_length=1, max_length=300)
    item_type: ItemType
    supervision_level: SupervisionLevel
    implementing_department: NormalisedStr = Field(min_length=1, max_length=200)
    department_id: uuid.UUID | None = None
    region_code: str = Field(pattern=r"^\d{6}$")
    domain: str | None = None
    object_types: list[str] = Field(default_factory=list)
    supervision_methods: list[str] = Field(default_factory=list)
    random_check: bool = False
    legal_bases: list[LegalBasisRef] = Field(default_factory=list)
    effective_from: AwareDatetime


class ItemPublishedData(ItemSnapshotData):
    """An item was published with its permanent 14-digit code (认领发布)."""


class ItemAdjustedData(ItemSnapshotData):
    """A published item was adjusted (立改废释 or reform): a new version is in force."""

    changed_fields: list[str] = Field(default_factory=list)
    reason: NormalisedStr = Field(min_length=1, max_length=2000)


class ItemAbolishedData(EventData):
    """An item was abolished; its code stays reserved and is never reused."""

    item_id: uuid.UUID
    code: ItemCode
    version: int = Field(ge=1)
    reason: NormalisedStr = Field(min_length=1, max_length=2000)
    abolished_at: AwareDatetime


class FormFieldSpec(EventData):
    """One field of an inspection form (检查表单)."""

    key: str
    label: str
    type: str
    required: bool = False
    options: list[str] = Field(default_factory=list)


class InspectionListPublishedData(EventData):
    """An inspection implementation list (检查实施清单) was published with its code."""

    list_id: uuid.UUID
    code: str = Field(min_length=19, max_length=64)
    item_id: uuid.UUID
    item_code: ItemCode
    level: int = Field(ge=1, le=5)
    agency_uscc: str = Field(min_length=18, max_length=18)
    implementing_agency: NormalisedStr
    region_code: str = Field(pattern=r"^\d{6}$")
    method: str
    version: int = Field(ge=1)
    form: list[FormFieldSpec] = Field(default_factory=list)
    published_at: AwareDatetime


class ItemPublished(CloudEvent):
    """`gov.supervision.catalog.item.published.v1`"""

    topic: ClassVar[str] = CATALOG_ITEMS_TOPIC
    type: Literal["gov.supervision.catalog.item.published.v1"] = "gov.supervision.catalog.item.published.v1"
    data: ItemPublishedData


class ItemAdjusted(CloudEvent):
    """`gov.supervision.catalog.item.adjusted.v1`"""

    topic: ClassVar[str] = CATALOG_ITEMS_TOPIC
    type: Literal["gov.supervision.catalog.item.adjusted.v1"] = "gov.supervision.catalog.item.adjusted.v1"
    data: ItemAdjustedData


class ItemAbolished(CloudEvent):
    """`gov.supervision.catalog.item.abolished.v1`"""

    topic: ClassVar[str] = CATALOG_ITEMS_TOPIC
    type: Literal["gov.supervision.catalog.item.abolished.v1"] = "gov.supervision.catalog.item.abolished.v1"
    data: ItemAbolishedData


class InspectionListPublished(CloudEvent):
    """`gov.supervision.catalog.inspection-list.published.v1`"""

    topic: ClassVar[str] = CATALOG_INSPECTION_LISTS_TOPIC
    type: Literal["gov.supervision.catalog.inspection-list.published.v1"] = (
        "gov.supervision.catalog.inspection-list.published.v1"
    )
    data: InspectionListPublishedData
