"""Every topic and event type of the platform, and the one parser of incoming events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Union

from pydantic import Discriminator, TypeAdapter

from supervision_schemas.auth import ORG_TOPIC, STAFF_TOPIC, DepartmentChanged, InspectorChanged, RegionChanged
from supervision_schemas.catalog import (
    CATALOG_INSPECTION_LISTS_TOPIC,
    CATALOG_ITEMS_TOPIC,
    InspectionListPublished,
    ItemAbolished,
    ItemAdjusted,
    ItemCreated,
    ItemPublished,
)
from supervision_schemas.complaint import (
    COMPLAINT_DISPATCHES_TOPIC,
    COMPLAINTS_TOPIC,
    ComplaintDispatched,
    ComplaintReceived,
    ComplaintStatusChanged,
)
from supervision_schemas.credit import CREDIT_GRADES_TOPIC, CREDIT_LISTS_TOPIC, GradeChanged, ListEntryChanged
from supervision_schemas.datahub import (
    DATAHUB_BEHAVIOUR_TOPIC,
    DATAHUB_OBJECTS_TOPIC,
    DATAHUB_QUALITY_TOPIC,
    BehaviourRecorded,
    ObjectChanged,
    ObjectCreated,
    ObjectMerged,
    QualityErrorRaised,
    QualityErrorResolved,
)
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.joint import (
    JOINT_DISPATCHES_TOPIC,
    JOINT_NOTIFICATIONS_TOPIC,
    JOINT_TASKS_TOPIC,
    JointTaskDispatched,
    JointTaskNotified,
    JointTaskStatusChanged,
)
from supervision_schemas.randomcheck import (
    RANDOMCHECK_DRAWS_TOPIC,
    RANDOMCHECK_RESULTS_TOPIC,
    CheckResultPublished,
    DrawCompleted,
)
from supervision_schemas.risk import (
    RISK_DISPOSALS_TOPIC,
    RISK_WARNINGS_TOPIC,
    DisposalFeedbackRecorded,
    WarningClosed,
    WarningRaised,
    WarningUpdated,
)
from supervision_schemas.signals import (
    COMPLAINT_SIGNALS_TOPIC,
    THIRDPARTY_OBSERVATIONS_TOPIC,
    ComplaintHotspotChanged,
    ComplaintSignalRecorded,
    ObservationRecorded,
)


@dataclass(frozen=True)
class TopicSpec:
    """A Kafka topic: created explicitly at start-up with a fixed partition count."""

    name: str
    partitions: int
    description: str
    event_types: tuple[type[CloudEvent], ...] = field(default=())


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        CATALOG_ITEMS_TOPIC,
        partitions=6,
        description="Supervision items of the catalog, keyed by item id.",
        event_types=(ItemCreated, ItemPublished, ItemAdjusted, ItemAbolished),
    ),
    TopicSpec(
        CATALOG_INSPECTION_LISTS_TOPIC,
        partitions=3,
        description="Inspection implementation lists (检查实施清单) of the catalog, keyed by list id.",
        event_types=(InspectionListPublished,),
    ),
    TopicSpec(
        ORG_TOPIC,
        partitions=3,
        description="The organisation tree: regions and departments, keyed by region code or department id.",
        event_types=(RegionChanged, DepartmentChanged),
    ),
    TopicSpec(
        STAFF_TOPIC,
        partitions=3,
        description="Staff and inspectors, keyed by user id.",
        event_types=(InspectorChanged,),
    ),
    TopicSpec(
        DATAHUB_OBJECTS_TOPIC,
        partitions=6,
        description="Supervised objects of the data hub (created, changed, merged), keyed by object id.",
        event_types=(ObjectCreated, ObjectChanged, ObjectMerged),
    ),
    TopicSpec(
        DATAHUB_BEHAVIOUR_TOPIC,
        partitions=6,
        description="Supervision behaviour records (inspections, penalties, measures), keyed by object id.",
        event_types=(BehaviourRecorded,),
    ),
    TopicSpec(
        DATAHUB_QUALITY_TOPIC,
        partitions=3,
        description="Data quality errors fed back to the providing department, keyed by department id.",
        event_types=(QualityErrorRaised, QualityErrorResolved),
    ),
    TopicSpec(
        THIRDPARTY_OBSERVATIONS_TOPIC,
        partitions=6,
        description="Third-party observations (advertising monitoring, online listings, IoT, public opinion), keyed by object key.",
        event_types=(ObservationRecorded,),
    ),
    TopicSpec(
        COMPLAINT_SIGNALS_TOPIC,
        partitions=3,
        description="Complaints and reports as risk signals, and their hot spots (by industry, region, object), keyed by object key.",
        event_types=(ComplaintSignalRecorded, ComplaintHotspotChanged),
    ),
    TopicSpec(
        COMPLAINTS_TOPIC,
        partitions=6,
        description="Complaints and reports (投诉举报) received and moved through their workflow (incl. national dispatch results), keyed by complaint id.",
        event_types=(ComplaintReceived, ComplaintStatusChanged),
    ),
    TopicSpec(
        COMPLAINT_DISPATCHES_TOPIC,
        partitions=3,
        description="Complaints and reports dispatched by the national or provincial platform, from the cross-level bridge, keyed by dispatch number.",
        event_types=(ComplaintDispatched,),
    ),
    TopicSpec(
        RISK_WARNINGS_TOPIC,
        partitions=6,
        description="Risk warnings raised, updated and closed by risk-svc, keyed by object key.",
        event_types=(WarningRaised, WarningUpdated, WarningClosed),
    ),
    TopicSpec(
        RISK_DISPOSALS_TOPIC,
        partitions=3,
        description="Disposal feedback on risk warnings, keyed by object key.",
        event_types=(DisposalFeedbackRecorded,),
    ),
    TopicSpec(
        CREDIT_GRADES_TOPIC,
        partitions=6,
        description="Credit scores and risk classes of supervised objects, keyed by object id.",
        event_types=(GradeChanged,),
    ),
    TopicSpec(
        CREDIT_LISTS_TOPIC,
        partitions=3,
        description="Red, black, abnormal-operation and serious-violation list entries, keyed by object id.",
        event_types=(ListEntryChanged,),
    ),
    TopicSpec(
        JOINT_DISPATCHES_TOPIC,
        partitions=3,
        description="Joint tasks dispatched by the national or provincial system, from the cross-level bridge, keyed by upstream task number.",
        event_types=(JointTaskDispatched,),
    ),
    TopicSpec(
        JOINT_TASKS_TOPIC,
        partitions=6,
        description="State changes of joint supervision tasks with the national status (分发/认领/结束/反馈), keyed by task number.",
        event_types=(JointTaskStatusChanged,),
    ),
    TopicSpec(
        JOINT_NOTIFICATIONS_TOPIC,
        partitions=3,
        description="Departments told about steps, reminders and escalations (督办) of joint tasks, keyed by department id.",
        event_types=(JointTaskNotified,),
    ),
    TopicSpec(
        RANDOMCHECK_DRAWS_TOPIC,
        partitions=3,
        description="Completed random-check draws (双随机) with their seed, seed hash and input/output hashes, keyed by plan id.",
        event_types=(DrawCompleted,),
    ),
    TopicSpec(
        RANDOMCHECK_RESULTS_TOPIC,
        partitions=6,
        description="Disclosed random-check results (一公开), one per department and object, keyed by object id.",
        event_types=(CheckResultPublished,),
    ),
)

ALL_EVENT_TYPES: dict[str, type[CloudEvent]] = {
    et.model_fields["type"].default: et for spec in TOPICS for et in spec.event_types
}


def _event_adapter() -> TypeAdapter[Any]:
    """One TypeAdapter over the union of every event type, discriminated by `type`."""
    types = tuple(ALL_EVENT_TYPES.values())
    if len(types) == 1:
        return TypeAdapter(types[0])
    return TypeAdapter(Annotated[Union[types], Discriminator("type")])  # type: ignore[arg-type]  # noqa: UP007


_adapter = _event_adapter()


def parse_event(envelope: dict[str, Any]) -> CloudEvent:
    """Validate an envelope (attributes plus `data`) against the model of its type."""
    result: CloudEvent = _adapter.validate_python(envelope)
    return result


def topic_for(event_type: str) -> str:
    """The topic an event type is published on."""
    return ALL_EVENT_TYPES[event_type].topic
