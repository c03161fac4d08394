"""Tasks dispatched by the national or provincial system (分发), arriving from the cross-level bridge.

Each becomes a local task for the department the message names (by id, else by its code, else by
the routes for its item, industry and region; else the region's dispatcher assigns it). Its status
changes go back up as `JointTaskStatusChanged` events with the national status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.deadlines import clock
from joint_svc.evidence import service as evidence
from joint_svc.routing import service as routing
from joint_svc.settings import JointSettings
from joint_svc.tasks import service as task_service
from joint_svc.tasks.effects import SYSTEM, Effects
from joint_svc.tasks.models import JointTask
from supervision_schemas.joint import (
    JOINT_DISPATCHES_TOPIC,
    JointTaskDispatched,
    JointTaskDispatchedData,
    JointTaskKind,
    TaskOrigin,
)
from svc_runtime.consumer import Subscription
from svc_runtime.db import utc_now
from svc_runtime.workdays import CHINA_TZ

GROUP = "joint.crosslevel"


def source_key(d: JointTaskDispatchedData) -> str:
    return f"upstream:{d.source_system}:{d.upstream_task_no}"


def initiator_region(d: JointTaskDispatchedData) -> str:
    return "000000" if d.origin is TaskOrigin.NATIONAL else d.union_region_no[:2] + "0000"


class CrossLevelConsumer:
    def __init__(self, settings: JointSettings, group: str = GROUP) -> None:
        self.settings = settings
        self.group = group

    async def _department(self, session: AsyncSession, d: JointTaskDispatchedData) -> routing.DepartmentRef | None:
        if d.union_department_id is not None:
            row = await routing.department(session, d.union_department_id)
            if row is not None and row.active:
                return routing.DepartmentRef(row.department_id, row.name, row.region_code)
        if d.union_dept_no:
            found = await routing.by_credit_code(session, d.union_dept_no)
            if found is not None:
                return found
        return await routing.resolve_supervisor(
            session,
            item_code=d.supervision_matter_code,
            industry_code=d.supervise_object_no,
            region_code=d.union_region_no,
        )

    async def on_dispatched(self, session: AsyncSession, events: Sequence[JointTaskDispatched]) -> None:
        latest = {source_key(e.data): e for e in events}
        existing = set(
            (await session.scalars(select(JointTask.source_key).where(JointTask.source_key.in_(list(latest))))).all()
        )
        specs = []
        now = utc_now()
        for key, e in latest.items():
            if key in existing:
                continue  # the bridge sent it again
            d = e.data
            kind = JointTaskKind.CAMPAIGN_TASK if d.kind is JointTaskKind.CAMPAIGN else d.kind
            deadline: datetime | None
            workdays: int | None
            if d.deadline is not None:
                deadline, workdays = (
                    d.deadline,
                    clock.calendar(self.settings).workdays_between(
                        now.astimezone(CHINA_TZ).date(), d.deadline.astimezone(CHINA_TZ).date()
                    ),
                )
            else:
                workdays = self.settings.joint_default_workdays.get(kind.value)
                deadline = clock.calendar(self.settings).deadline(now, workdays) if workdays else None
            specs.append(
                task_service.NewTask(
                    kind=kind,
                    origin=d.origin,
                    title=d.task_name,
                    content=d.inspect_content,
                    requirements=d.inspect_claim,
                    region_code=d.union_region_no,
                    initiator_region_code=initiator_region(d),
                    department=await self._department(session, d),
                    initiator_department_name=d.initiate_unit_name,
                    source_key=key,
                    upstream_task_no=d.upstream_task_no,
                    upstream_source=d.source_system,
                    supervision_item_code=d.supervision_matter_code,
                    industry_code=d.supervise_object_no,
                    objects=await evidence.complete(session, d.supervise_objects),
                    details={
                        "initiate_unit_no": d.initiate_unit_no,
                        "initiate_unit_type": d.initiate_unit_type,
                        "union_dept_no": d.union_dept_no,
                        "union_dept_name": d.union_dept_name,
                        "union_region_name": d.union_region_name,
                        "task_start_time": d.task_start_time.isoformat(),
                        "dispatched_kind": d.kind.value,
                        "event_id": e.id,
                    },
                    attachments=[a.model_dump(mode="json") for a in d.attachments],
                    deadline=deadline,
                    deadline_workdays=workdays,
                )
            )
        if specs:
            effects = Effects()
            await task_service.create_tasks(session, self.settings, specs, SYSTEM, effects)
            await effects.stage(session)

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group,
            topics=(JOINT_DISPATCHES_TOPIC,),
            handlers={"gov.supervision.joint.task.dispatched.v1": self.on_dispatched},
        )
