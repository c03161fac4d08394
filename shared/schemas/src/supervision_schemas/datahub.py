"""Events of datahub-svc: the supervised-object library, behaviour records and data quality (监管数据中心)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData

DATAHUB_OBJECTS_TOPIC = "supervision.datahub.objects"
DATAHUB_BEHAVIOUR_TOPIC = "supervision.datahub.behaviour"
DATAHUB_QUALITY_TOPIC = "supervision.datahub.quality"


class ObjectKind(StrEnum):
    """Kinds of supervised object (监管对象): 法人, 特定自然人, 设施设备, 特定产品, 场地场所, 项目工程."""

    LEGAL_PERSON = "legal_person"
    NATURAL_PERSON = "natural_person"
    EQUIPMENT = "equipment"
    PRODUCT = "product"
    SITE = "site"
    PROJECT = "project"


class CreditClass(StrEnum):
    """Credit risk class (信用风险分类): A low .. D high; E where a province grades in five classes."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class BehaviourType(StrEnum):
    """Record types of the national exchange (监管行为): 行政检查, 行政处罚, 行政强制, 其他."""

    INSPECTION = "inspection"
    PENALTY = "penalty"
    ENFORCEMENT_MEASURE = "enforcement_measure"
    OTHER = "other"


class ObjectData(EventData):
    """The state of a supervised object after the change (personal identifiers are not carried)."""

    object_id: uuid.UUID
    kind: ObjectKind
    name: str
    uscc: str | None = Field(default=None, description="Unified social credit code of a legal person.")
    owner_uscc: str | None = Field(default=None, description="Credit code of the responsible legal person.")
    code: str | None = Field(
        default=None, description="Kind-specific code (equipment register code, approval number...)."
    )
    region_code: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID | None = None
    industry_code: str | None = None
    credit_class: CreditClass | None = None
    version: int = Field(ge=1)
    changed_at: AwareDatetime


class ObjectCreated(CloudEvent):
    """`gov.supervision.datahub.object.created.v1` (key: object id)"""

    topic: ClassVar[str] = DATAHUB_OBJECTS_TOPIC
    type: Literal["gov.supervision.datahub.object.created.v1"] = "gov.supervision.datahub.object.created.v1"
    data: ObjectData


class ObjectChanged(CloudEvent):
    """`gov.supervision.datahub.object.changed.v1` (key: object id)"""

    topic: ClassVar[str] = DATAHUB_OBJECTS_TOPIC
    type: Literal["gov.supervision.datahub.object.changed.v1"] = "gov.supervision.datahub.object.changed.v1"
    data: ObjectData


class ObjectMergedData(EventData):
    """Duplicates were merged into one surviving object (or a merge was undone by a split)."""

    surviving_object_id: uuid.UUID
    merged_object_ids: list[uuid.UUID] = Field(min_length=1)
    action: Literal["merge", "split"]
    reason: str | None = None
    merged_at: AwareDatetime


class ObjectMerged(CloudEvent):
    """`gov.supervision.datahub.object.merged.v1` (key: surviving object id)"""

    topic: ClassVar[str] = DATAHUB_OBJECTS_TOPIC
    type: Literal["gov.supervision.datahub.object.merged.v1"] = "gov.supervision.datahub.object.merged.v1"
    data: ObjectMergedData


class BehaviourRecordedData(EventData):
    """A supervision act (inspection, penalty, enforcement measure, other) was recorded."""

    record_id: uuid.UUID
    record_type: BehaviourType
    record_code: str = Field(description="The provider's key: 检查行为编号 or 处罚文书号.")
    item_code: str = Field(pattern=r"^\d{14}$", description="14-digit national supervision item code.")
    inspection_list_code: str | None = None
    object_id: uuid.UUID | None = Field(default=None, description="Linked supervised object, once linked.")
    object_uscc: str | None = None
    object_name: str
    region_code: str = Field(pattern=r"^\d{6}$")
    department_id: uuid.UUID | None = None
    acted_on: date
    result: str | None = None
    penalty_amount: str | None = Field(default=None, description="Fine in yuan, as a decimal string.")
    recorded_at: AwareDatetime


class BehaviourRecorded(CloudEvent):
    """`gov.supervision.datahub.behaviour.recorded.v1` (key: object id, else record id)"""

    topic: ClassVar[str] = DATAHUB_BEHAVIOUR_TOPIC
    type: Literal["gov.supervision.datahub.behaviour.recorded.v1"] = "gov.supervision.datahub.behaviour.recorded.v1"
    data: BehaviourRecordedData


class QualityDimension(StrEnum):
    """Dimension of a data-quality rule (质量维度)."""

    COMPLETENESS = "completeness"
    VALIDITY = "validity"
    TIMELINESS = "timeliness"


class QualityErrorRaisedData(EventData):
    """Data a department provided broke a quality rule; it goes back to that department to correct."""

    error_id: uuid.UUID
    library: str
    rule: str
    dimension: QualityDimension | None = None
    field: str | None = None
    reason: str
    record_ref: str = Field(description="Which record: object id, record id or `job:<id>#row`.")
    department_id: uuid.UUID | None = Field(default=None, description="The providing department.")
    region_code: str | None = None
    raised_at: AwareDatetime


class QualityErrorRaised(CloudEvent):
    """`gov.supervision.datahub.quality.error.raised.v1` (key: department id or region)"""

    topic: ClassVar[str] = DATAHUB_QUALITY_TOPIC
    type: Literal["gov.supervision.datahub.quality.error.raised.v1"] = "gov.supervision.datahub.quality.error.raised.v1"
    data: QualityErrorRaisedData


class QualityErrorResolvedData(EventData):
    """A quality error was corrected (the record now passes its rule) or dismissed by the department."""

    error_id: uuid.UUID
    library: str
    rule: str
    record_ref: str
    department_id: uuid.UUID | None = Field(default=None, description="The providing department.")
    resolution: Literal["fixed", "dismissed"]
    note: str | None = None
    resolved_at: AwareDatetime


class QualityErrorResolved(CloudEvent):
    """`gov.supervision.datahub.quality.error.resolved.v1` (key: department id or region)"""

    topic: ClassVar[str] = DATAHUB_QUALITY_TOPIC
    type: Literal["gov.supervision.datahub.quality.error.resolved.v1"] = (
        "gov.supervision.datahub.quality.error.resolved.v1"
    )
    data: QualityErrorResolvedData
