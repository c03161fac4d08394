"""Events of risk-svc: risk warnings (风险预警) and their disposal feedback.

A warning carries the fields of the national risk-warning record (fxyjId, ruleId, level, domain,
source, title, province, props) plus the score, the object, the evidence, the model version and
the responsible department. Keyed by the object key (USCC, else `obj:<object id>`).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from supervision_schemas.envelope import CloudEvent, EventData

RISK_WARNINGS_TOPIC = "supervision.risk.warnings"
RISK_DISPOSALS_TOPIC = "supervision.risk.disposals"


class WarningLevel(StrEnum):
    """Warning level of the national record: red highest, blue lowest."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    BLUE = "blue"


class RiskDomain(StrEnum):
    """Supervision domain (领域) a model belongs to."""

    MARKET = "market"
    FINANCE = "finance"
    DRUG = "drug"
    MEDICAL_DEVICE = "medical_device"


class DisposalOutcome(StrEnum):
    """How the responsible department disposed of a warning."""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    ACTION_TAKEN = "action_taken"


class WarningObject(EventData):
    """The object at risk (riskObject, riskObjectCertCode)."""

    key: str
    uscc: str | None = None
    object_id: str | None = None
    name: str
    region_code: str = Field(pattern=r"^\d{6}$")
    industry_code: str | None = None


class ModelRef(EventData):
    """The model version that scored the object."""

    model_key: str
    version: int = Field(ge=1)
    estimator: str


class Evidence(EventData):
    """What triggered the warning: the events and the feature values seen by the model."""

    event_ids: list[str] = Field(default_factory=list, max_length=50)
    features: dict[str, float] = Field(default_factory=dict)
    rule_matched: bool = True


class WarningData(EventData):
    """A risk warning as raised or updated."""

    warning_id: uuid.UUID = Field(description="fxyjId")
    rule_id: str = Field(description="ruleId: `<model key>@<version>`")
    title: str
    level: WarningLevel
    score: float = Field(ge=0.0, le=1.0)
    domain: RiskDomain
    source: str = Field(description="source: the system and channel that raised it")
    province: str = Field(pattern=r"^\d{6}$")
    object: WarningObject
    evidence: Evidence
    model: ModelRef
    responsible_department_id: uuid.UUID | None = None
    responsible_department: str
    properties: dict[str, str | float | int | bool] = Field(default_factory=dict, description="props")
    trigger_event_id: str = Field(description="The event whose processing raised or last updated the warning.")
    raised_at: AwareDatetime
    updated_at: AwareDatetime


class WarningRaised(CloudEvent):
    """`gov.supervision.risk.warning.raised.v1` (key: object key)"""

    topic: ClassVar[str] = RISK_WARNINGS_TOPIC
    type: Literal["gov.supervision.risk.warning.raised.v1"] = "gov.supervision.risk.warning.raised.v1"
    data: WarningData


class WarningUpdated(CloudEvent):
    """`gov.supervision.risk.warning.updated.v1` (key: object key): a repeat changed its level or score."""

    topic: ClassVar[str] = RISK_WARNINGS_TOPIC
    type: Literal["gov.supervision.risk.warning.updated.v1"] = "gov.supervision.risk.warning.updated.v1"
    data: WarningData


class WarningClosedData(EventData):
    """A warning was closed by its disposal."""

    warning_id: uuid.UUID
    object_key: str
    model_key: str
    outcome: DisposalOutcome
    closed_at: AwareDatetime


class WarningClosed(CloudEvent):
    """`gov.supervision.risk.warning.closed.v1` (key: object key)"""

    topic: ClassVar[str] = RISK_WARNINGS_TOPIC
    type: Literal["gov.supervision.risk.warning.closed.v1"] = "gov.supervision.risk.warning.closed.v1"
    data: WarningClosedData


class DisposalFeedbackData(EventData):
    """A department fed back how it disposed of a warning."""

    feedback_id: uuid.UUID
    warning_id: uuid.UUID
    object_key: str
    model_key: str
    model_version: int = Field(ge=1)
    outcome: DisposalOutcome
    action: str | None = None
    note: str | None = None
    department_id: uuid.UUID | None = None
    recorded_by: str
    recorded_at: AwareDatetime


class DisposalFeedbackRecorded(CloudEvent):
    """`gov.supervision.risk.disposal.recorded.v1` (key: object key)"""

    topic: ClassVar[str] = RISK_DISPOSALS_TOPIC
    type: Literal["gov.supervision.risk.disposal.recorded.v1"] = "gov.supervision.risk.disposal.recorded.v1"
    data: DisposalFeedbackData
