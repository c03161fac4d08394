"""Keeps the list and the two databases current from the catalog, the data hub, credit, risk and auth.

Every handler applies a run of events with one statement, and an older event never overwrites a
newer one (guarded by version or event time), so re-delivery and reordering across runs are harmless.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import and_, case, or_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from random_check_svc.library.models import (
    ItemStatus,
    LeadSource,
    ObjectStatus,
    RcDepartment,
    RcInspectionForm,
    RcInspector,
    RcItem,
    RcLead,
    RcObject,
)
from supervision_schemas.auth import ORG_TOPIC, STAFF_TOPIC, DepartmentChanged, InspectorChanged
from supervision_schemas.catalog import (
    CATALOG_INSPECTION_LISTS_TOPIC,
    CATALOG_ITEMS_TOPIC,
    InspectionListPublished,
    ItemAbolished,
    ItemAdjusted,
    ItemPublished,
)
from supervision_schemas.credit import (
    CREDIT_GRADES_TOPIC,
    CREDIT_LISTS_TOPIC,
    CreditListType,
    GradeChanged,
    ListAction,
    ListEntryChanged,
)
from supervision_schemas.datahub import (
    DATAHUB_BEHAVIOUR_TOPIC,
    DATAHUB_OBJECTS_TOPIC,
    BehaviourRecorded,
    BehaviourType,
    ObjectChanged,
    ObjectCreated,
    ObjectMerged,
)
from supervision_schemas.envelope import CloudEvent
from supervision_schemas.risk import RISK_WARNINGS_TOPIC, WarningClosed, WarningRaised, WarningUpdated
from svc_runtime.consumer import Handler, Subscription
from svc_runtime.db import utc_now

GROUP = "random-check.library"
LEAD_LISTS = frozenset(
    {CreditListType.ABNORMAL_OPERATION, CreditListType.SERIOUS_VIOLATION, CreditListType.BLACK}
)  # lists that raise check intensity (DOMAIN-FACTS 1(b))

E = TypeVar("E", bound=CloudEvent)


def _latest(events: Sequence[E], key: Callable[[E], Any], order: Callable[[E], Any]) -> list[E]:
    """The newest event per key within a run (a run may carry several changes of one record)."""
    latest: dict[Any, E] = {}
    for event in events:
        k = key(event)
        if k not in latest or order(latest[k]) <= order(event):
            latest[k] = event
    return list(latest.values())


async def on_items(session: AsyncSession, events: Sequence[ItemPublished | ItemAdjusted]) -> None:
    """Upsert published or adjusted items at their newest version."""
    rows = [
        {
            "item_id": e.data.item_id,
            "code": e.data.code,
            "version": e.data.version,
            "kind": e.data.kind,
            "parent_code": e.data.parent_code,
            "name": e.data.name,
            "item_type": e.data.item_type.value,
            "supervision_level": e.data.supervision_level.value,
            "implementing_department": e.data.implementing_department,
            "department_id": e.data.department_id,
            "region_code": e.data.region_code,
            "domain": e.data.domain,
            "object_types": list(e.data.object_types),
            "random_check": e.data.random_check,
            "status": ItemStatus.IN_FORCE.value,
            "source_time": e.time,
            "stored_at": utc_now(),
        }
        for e in _latest(events, lambda e: e.data.item_id, lambda e: e.data.version)
    ]
    statement = insert(RcItem)
    statement = statement.on_conflict_do_update(
        index_elements=[RcItem.item_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "item_id"},
        where=RcItem.version <= statement.excluded.version,
    )
    await session.execute(statement, rows)


async def on_items_abolished(session: AsyncSession, events: Sequence[ItemAbolished]) -> None:
    """Mark abolished items; plans can no longer use them."""
    for e in events:
        await session.execute(
            update(RcItem)
            .where(RcItem.item_id == e.data.item_id, RcItem.version <= e.data.version)
            .values(status=ItemStatus.ABOLISHED.value, version=e.data.version, source_time=e.time)
        )


async def on_inspection_lists(session: AsyncSession, events: Sequence[InspectionListPublished]) -> None:
    """Upsert inspection implementation lists with their forms."""
    rows = [
        {
            "list_id": e.data.list_id,
            "code": e.data.code,
            "item_code": e.data.item_code,
            "version": e.data.version,
            "region_code": e.data.region_code,
            "implementing_agency": e.data.implementing_agency,
            "method": e.data.method,
            "form": [f.model_dump(mode="json") for f in e.data.form],
            "published_at": e.data.published_at,
        }
        for e in _latest(events, lambda e: e.data.list_id, lambda e: e.data.version)
    ]
    statement = insert(RcInspectionForm)
    statement = statement.on_conflict_do_update(
        index_elements=[RcInspectionForm.list_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "list_id"},
        where=RcInspectionForm.version <= statement.excluded.version,
    )
    await session.execute(statement, rows)


async def on_objects(session: AsyncSession, events: Sequence[ObjectCreated | ObjectChanged]) -> None:
    """Upsert objects; the hub's credit class applies only until credit-svc has graded the object."""
    rows = [
        {
            "object_id": e.data.object_id,
            "kind": e.data.kind.value,
            "name": e.data.name,
            "uscc": e.data.uscc,
            "region_code": e.data.region_code,
            "department_id": e.data.department_id,
            "industry_code": e.data.industry_code,
            "credit_class": e.data.credit_class.value if e.data.credit_class else None,
            "version": e.data.version,
            "source_time": e.data.changed_at,
            "status": ObjectStatus.ACTIVE.value,
            "stored_at": utc_now(),
        }
        for e in _latest(events, lambda e: e.data.object_id, lambda e: e.data.version)
    ]
    statement = insert(RcObject)
    excluded = statement.excluded
    descriptive = ("kind", "name", "uscc", "region_code", "department_id", "industry_code", "version", "source_time")
    set_: dict[str, Any] = {k: excluded[k] for k in descriptive}
    set_["stored_at"] = excluded.stored_at
    set_["credit_class"] = case(
        (RcObject.credit_graded_at.is_(None), excluded.credit_class), else_=RcObject.credit_class
    )
    statement = statement.on_conflict_do_update(
        index_elements=[RcObject.object_id], set_=set_, where=RcObject.version < excluded.version
    )
    await session.execute(statement, rows)


async def on_objects_merged(session: AsyncSession, events: Sequence[ObjectMerged]) -> None:
    """Merged duplicates leave the population; a split brings them back."""
    for e in events:
        if e.data.action == "merge":
            await session.execute(
                update(RcObject)
                .where(RcObject.object_id.in_(e.data.merged_object_ids))
                .values(status=ObjectStatus.MERGED.value, merged_into=e.data.surviving_object_id, stored_at=utc_now())
            )
        else:
            await session.execute(
                update(RcObject)
                .where(RcObject.object_id.in_(e.data.merged_object_ids), RcObject.status == ObjectStatus.MERGED.value)
                .values(status=ObjectStatus.ACTIVE.value, merged_into=None, stored_at=utc_now())
            )


async def on_grades(session: AsyncSession, events: Sequence[GradeChanged]) -> None:
    """Credit classes from credit-svc; an object not yet seen from the hub is created from the grade."""
    rows = [
        {
            "object_id": e.data.object_id,
            "kind": None,
            "name": e.data.name,
            "uscc": e.data.uscc,
            "region_code": e.data.region_code,
            "department_id": e.data.department_id,
            "industry_code": e.data.industry_code,
            "credit_class": e.data.risk_class,
            "credit_graded_at": e.data.graded_at,
            "version": 0,
            "status": ObjectStatus.ACTIVE.value,
            "stored_at": utc_now(),
        }
        for e in _latest(events, lambda e: e.data.object_id, lambda e: e.data.graded_at)
    ]
    statement = insert(RcObject)
    statement = statement.on_conflict_do_update(
        index_elements=[RcObject.object_id],
        set_={"credit_class": statement.excluded.credit_class, "credit_graded_at": statement.excluded.credit_graded_at},
        where=or_(
            RcObject.credit_graded_at.is_(None), RcObject.credit_graded_at <= statement.excluded.credit_graded_at
        ),
    )
    await session.execute(statement, rows)


async def on_inspectors(session: AsyncSession, events: Sequence[InspectorChanged]) -> None:
    """The inspector database: department, qualifications, certificate validity, status."""
    rows = [
        {
            "user_id": e.data.user_id,
            "name": e.data.name,
            "department_id": e.data.department_id,
            "region_code": e.data.region_code,
            "certificate_number": e.data.certificate_number,
            "certificate_valid_from": e.data.certificate_valid_from,
            "certificate_valid_until": e.data.certificate_valid_until,
            "qualifications": list(e.data.qualifications),
            "status": e.data.status.value,
            "source_time": e.data.changed_at,
        }
        for e in _latest(events, lambda e: e.data.user_id, lambda e: e.data.changed_at)
    ]
    statement = insert(RcInspector)
    statement = statement.on_conflict_do_update(
        index_elements=[RcInspector.user_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "user_id"},
        where=RcInspector.source_time <= statement.excluded.source_time,
    )
    await session.execute(statement, rows)


async def on_departments(session: AsyncSession, events: Sequence[DepartmentChanged]) -> None:
    """Departments, for plan participants and names in disclosures."""
    rows = [
        {
            "department_id": e.data.department_id,
            "name": e.data.name,
            "department_type": e.data.department_type,
            "region_code": e.data.region_code,
            "active": e.data.active,
            "source_time": e.data.changed_at,
        }
        for e in _latest(events, lambda e: e.data.department_id, lambda e: e.data.changed_at)
    ]
    statement = insert(RcDepartment)
    statement = statement.on_conflict_do_update(
        index_elements=[RcDepartment.department_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "department_id"},
        where=RcDepartment.source_time <= statement.excluded.source_time,
    )
    await session.execute(statement, rows)


def _object_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def on_warnings(session: AsyncSession, events: Sequence[WarningRaised | WarningUpdated]) -> None:
    """An open risk warning is a lead: the object is checked even in class A."""
    rows = [
        {
            "lead_id": e.data.warning_id,
            "source": LeadSource.RISK_WARNING.value,
            "object_id": _object_uuid(e.data.object.object_id),
            "uscc": e.data.object.uscc,
            "detail": e.data.title[:300],
            "opened_at": e.data.raised_at,
        }
        for e in _latest(events, lambda e: e.data.warning_id, lambda e: e.data.updated_at)
    ]
    await session.execute(insert(RcLead).on_conflict_do_nothing(index_elements=[RcLead.lead_id]), rows)


async def on_warnings_closed(session: AsyncSession, events: Sequence[WarningClosed]) -> None:
    """A closed warning is no longer a lead."""
    for e in events:
        await session.execute(
            update(RcLead)
            .where(RcLead.lead_id == e.data.warning_id, RcLead.closed_at.is_(None))
            .values(closed_at=e.data.closed_at)
        )


async def on_list_entries(session: AsyncSession, events: Sequence[ListEntryChanged]) -> None:
    """Abnormal-operation, serious-violation and black-list entries are leads while they stand."""
    for e in events:
        if e.data.list_type not in LEAD_LISTS:
            continue
        if e.data.action is ListAction.ADDED:
            statement = insert(RcLead).values(
                lead_id=e.data.entry_id,
                source=LeadSource.CREDIT_LIST.value,
                object_id=e.data.object_id,
                uscc=e.data.uscc,
                detail=f"{e.data.list_type.value}: {e.data.reason}"[:300],
                opened_at=e.data.changed_at,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[RcLead.lead_id],
                    set_={"closed_at": None, "opened_at": statement.excluded.opened_at},
                    where=and_(RcLead.closed_at.is_not(None), RcLead.closed_at <= statement.excluded.opened_at),
                )
            )
        else:
            await session.execute(
                update(RcLead)
                .where(RcLead.lead_id == e.data.entry_id, RcLead.closed_at.is_(None))
                .values(closed_at=e.data.changed_at)
            )


#: Words in a penalty or enforcement decision (处罚结果) that end the object's operation: it leaves the population.
DEREGISTRATION_WORDS = ("吊销营业执照", "吊销许可证", "吊销执照", "注销登记", "撤销登记", "责令关闭", "取缔")
ENDING_BEHAVIOURS = frozenset({BehaviourType.PENALTY, BehaviourType.ENFORCEMENT_MEASURE})


def behaviour_handler(words: Sequence[str] = DEREGISTRATION_WORDS) -> Handler:
    """A handler that deregisters objects whose licence a penalty or enforcement decision revoked (吊销/注销/关闭).

    `ObjectData` carries no operating status, so the data hub's behaviour records are where deregistration
    shows: a decision whose result names one of `words` takes the object out of future draws.
    """

    async def on_behaviour(session: AsyncSession, events: Sequence[BehaviourRecorded]) -> None:
        for e in events:
            d = e.data
            if d.record_type not in ENDING_BEHAVIOURS or not d.result:
                continue
            hit = next((w for w in words if w in d.result), None)
            if hit is None or (d.object_id is None and not d.object_uscc):
                continue
            reason = f"{hit}: {d.record_code} ({d.acted_on}, data hub record {d.record_id})"[:1000]
            if d.object_id is None:
                await session.execute(
                    update(RcObject)
                    .where(RcObject.uscc == d.object_uscc, RcObject.status == ObjectStatus.ACTIVE.value)
                    .values(status=ObjectStatus.DEREGISTERED.value, status_reason=reason, stored_at=utc_now())
                )
                continue
            # The object's own events travel on another topic and may come later: a placeholder (version 0)
            # keeps the status, which the hub's object events do not overwrite.
            statement = insert(RcObject).values(
                object_id=d.object_id,
                kind=None,
                name=d.object_name,
                uscc=d.object_uscc,
                region_code=d.region_code,
                department_id=d.department_id,
                status=ObjectStatus.DEREGISTERED.value,
                status_reason=reason,
                version=0,
                stored_at=utc_now(),
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[RcObject.object_id],
                    set_={"status": ObjectStatus.DEREGISTERED.value, "status_reason": reason, "stored_at": utc_now()},
                    where=RcObject.status == ObjectStatus.ACTIVE.value,
                )
            )

    return on_behaviour


HANDLERS: dict[str, Handler] = {
    "gov.supervision.datahub.behaviour.recorded.v1": behaviour_handler(),
    "gov.supervision.catalog.item.published.v1": on_items,
    "gov.supervision.catalog.item.adjusted.v1": on_items,
    "gov.supervision.catalog.item.abolished.v1": on_items_abolished,
    "gov.supervision.catalog.inspection-list.published.v1": on_inspection_lists,
    "gov.supervision.datahub.object.created.v1": on_objects,
    "gov.supervision.datahub.object.changed.v1": on_objects,
    "gov.supervision.datahub.object.merged.v1": on_objects_merged,
    "gov.supervision.credit.grade.changed.v1": on_grades,
    "gov.supervision.credit.list.changed.v1": on_list_entries,
    "gov.supervision.auth.inspector.changed.v1": on_inspectors,
    "gov.supervision.auth.department.changed.v1": on_departments,
    "gov.supervision.risk.warning.raised.v1": on_warnings,
    "gov.supervision.risk.warning.updated.v1": on_warnings,
    "gov.supervision.risk.warning.closed.v1": on_warnings_closed,
}


def subscription(group: str = GROUP, *, deregistration_words: Sequence[str] | None = None) -> Subscription:
    """The library's consumer group (a test may give its own group name)."""
    handlers = dict(HANDLERS)
    if deregistration_words is not None:
        handlers["gov.supervision.datahub.behaviour.recorded.v1"] = behaviour_handler(deregistration_words)
    return Subscription(
        group=group,
        topics=(
            CATALOG_ITEMS_TOPIC,
            CATALOG_INSPECTION_LISTS_TOPIC,
            DATAHUB_OBJECTS_TOPIC,
            DATAHUB_BEHAVIOUR_TOPIC,
            CREDIT_GRADES_TOPIC,
            CREDIT_LISTS_TOPIC,
            STAFF_TOPIC,
            ORG_TOPIC,
            RISK_WARNINGS_TOPIC,
        ),
        handlers=handlers,
    )
