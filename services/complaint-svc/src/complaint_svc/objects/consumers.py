"""Keeps the object and department views current from the data hub's and auth-svc's events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from complaint_svc.complaints.models import Complaint
from complaint_svc.objects.models import DepartmentView, ObjectView
from complaint_svc.objects.names import bigrams, org_core
from supervision_schemas.auth import ORG_TOPIC, DepartmentChanged
from supervision_schemas.datahub import DATAHUB_OBJECTS_TOPIC, ObjectChanged, ObjectCreated, ObjectMerged
from svc_runtime.consumer import Subscription

GROUP = "complaint.views"


async def on_objects(session: AsyncSession, events: Sequence[ObjectCreated | ObjectChanged]) -> None:
    """Upsert the objects in one statement; an older version never overwrites a newer one."""
    latest: dict[uuid.UUID, ObjectCreated | ObjectChanged] = {}
    for event in events:
        current = latest.get(event.data.object_id)
        if current is None or current.data.version <= event.data.version:
            latest[event.data.object_id] = event
    rows = []
    for e in latest.values():
        d = e.data
        core = org_core(d.name) or d.name.lower()
        rows.append(
            {
                "object_id": d.object_id,
                "kind": d.kind.value,
                "name": d.name[:300],
                "name_core": core[:300],
                "name_bigrams": bigrams(core),
                "uscc": d.uscc,
                "region_code": d.region_code,
                "department_id": d.department_id,
                "industry_code": d.industry_code,
                "version": d.version,
                "changed_at": d.changed_at,
            }
        )
    statement = insert(ObjectView)
    statement = statement.on_conflict_do_update(
        index_elements=[ObjectView.object_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "object_id"},
        where=ObjectView.version <= statement.excluded.version,
    )
    await session.execute(statement, rows)


async def on_merged(session: AsyncSession, events: Sequence[ObjectMerged]) -> None:
    """Merged objects point at the survivor (and so do complaints about them); a split undoes it."""
    for event in events:
        d = event.data
        if d.action == "merge":
            await session.execute(
                update(ObjectView)
                .where(ObjectView.object_id.in_(d.merged_object_ids))
                .values(merged_into=d.surviving_object_id)
            )
            await session.execute(
                update(Complaint)
                .where(Complaint.target_object_id.in_(d.merged_object_ids))
                .values(target_object_id=d.surviving_object_id)
            )
        else:
            await session.execute(
                update(ObjectView).where(ObjectView.object_id.in_(d.merged_object_ids)).values(merged_into=None)
            )


async def on_departments(session: AsyncSession, events: Sequence[DepartmentChanged]) -> None:
    latest: dict[uuid.UUID, DepartmentChanged] = {}
    for event in events:
        current = latest.get(event.data.department_id)
        if current is None or current.data.changed_at <= event.data.changed_at:
            latest[event.data.department_id] = event
    rows = [
        {
            "department_id": e.data.department_id,
            "name": e.data.name[:200],
            "department_type": e.data.department_type[:50],
            "region_code": e.data.region_code,
            "active": e.data.active,
            "changed_at": e.data.changed_at,
        }
        for e in latest.values()
    ]
    statement = insert(DepartmentView)
    statement = statement.on_conflict_do_update(
        index_elements=[DepartmentView.department_id],
        set_={k: statement.excluded[k] for k in rows[0] if k != "department_id"},
        where=DepartmentView.changed_at <= statement.excluded.changed_at,
    )
    await session.execute(statement, rows)


def subscription(group: str = GROUP) -> Subscription:
    return Subscription(
        group=group,
        topics=(DATAHUB_OBJECTS_TOPIC, ORG_TOPIC),
        handlers={
            "gov.supervision.datahub.object.created.v1": on_objects,
            "gov.supervision.datahub.object.changed.v1": on_objects,
            "gov.supervision.datahub.object.merged.v1": on_merged,
            "gov.supervision.auth.department.changed.v1": on_departments,
        },
    )
