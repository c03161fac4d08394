"""Disposal tasks from risk warnings: opened when a warning is raised, kept current, closed with it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.deadlines import clock
from joint_svc.engine.machines import Action, Side, machine
from joint_svc.evidence import service as evidence
from joint_svc.routing import service as routing
from joint_svc.settings import JointSettings
from joint_svc.tasks import service as task_service
from joint_svc.tasks.effects import SYSTEM, Effects, append_event, notify
from joint_svc.tasks.models import JointTask
from joint_svc.tasks.schemas import ActionRequest
from supervision_schemas.joint import (
    JointBasisData,
    JointSuperviseObject,
    JointTaskKind,
    NotificationReason,
    TaskOrigin,
)
from supervision_schemas.risk import RISK_WARNINGS_TOPIC, WarningClosed, WarningData, WarningRaised, WarningUpdated
from svc_runtime.consumer import Subscription
from svc_runtime.db import utc_now

GROUP = "joint.disposal"
INITIATOR_NAME = "风险预警（risk-svc）"


def source_key(warning_id: object) -> str:
    return f"warning:{warning_id}"


class DisposalConsumer:
    """Handlers of risk-svc's warning events."""

    def __init__(self, settings: JointSettings, group: str = GROUP) -> None:
        self.settings = settings
        self.group = group

    async def _departments(
        self, session: AsyncSession, warnings: Sequence[WarningData]
    ) -> list[routing.DepartmentRef | None]:
        """The department of each warning: the responsible one it names, else the route for its industry."""
        named = {w.responsible_department_id for w in warnings if w.responsible_department_id is not None}
        known = await routing.departments(session, named)
        routed: dict[tuple[str | None, str], routing.DepartmentRef | None] = {}
        out: list[routing.DepartmentRef | None] = []
        for w in warnings:
            if w.responsible_department_id is not None:
                out.append(
                    known.get(w.responsible_department_id)
                    or routing.DepartmentRef(
                        w.responsible_department_id, w.responsible_department, w.object.region_code
                    )
                )
                continue
            key = (w.object.industry_code, w.object.region_code)
            if key not in routed:
                routed[key] = await routing.resolve_supervisor(
                    session, item_code=None, industry_code=key[0], region_code=key[1]
                )
            out.append(routed[key])
        return out

    async def on_raised(self, session: AsyncSession, events: Sequence[WarningRaised]) -> None:
        """Open one disposal task per new warning, for its responsible department (or the region's dispatcher)."""
        latest = {e.data.warning_id: e.data for e in events}
        existing = set(
            (
                await session.scalars(
                    select(JointTask.source_key).where(JointTask.source_key.in_([source_key(w) for w in latest]))
                )
            ).all()
        )
        warnings = [w for warning_id, w in latest.items() if source_key(warning_id) not in existing]
        if not warnings:
            return
        departments = await self._departments(session, warnings)
        objects = await evidence.complete(
            session,
            [
                JointSuperviseObject(
                    object_type="legal_person" if w.object.uscc else "object",
                    name=w.object.name,
                    code=w.object.uscc,
                    object_id=w.object.object_id,
                    region_code=w.object.region_code,
                    basis_data=JointBasisData(risk_warning=[evidence.warning_record(w)]),
                )
                for w in warnings
            ],
        )
        now = utc_now()
        calendar = clock.calendar(self.settings)
        specs = []
        for w, dept, obj in zip(warnings, departments, objects, strict=True):
            days = self.settings.joint_disposal_workdays_by_level.get(
                w.level.value, self.settings.joint_default_workdays.get(JointTaskKind.DISPOSAL.value)
            )
            specs.append(
                task_service.NewTask(
                    kind=JointTaskKind.DISPOSAL,
                    origin=TaskOrigin.RISK,
                    title=f"风险处置：{w.title}"[:300],
                    content=f"{w.level.value} 级风险预警（{w.rule_id}，得分 {w.score:.2f}）：{w.title}",
                    region_code=w.object.region_code,
                    initiator_region_code=w.object.region_code,
                    department=dept,
                    initiator_department_name=INITIATOR_NAME,
                    source_key=source_key(w.warning_id),
                    industry_code=w.object.industry_code,
                    objects=[obj],
                    details={
                        "warning_id": str(w.warning_id),
                        "object_key": w.object.key,
                        "model_key": w.model.model_key,
                        "model_version": w.model.version,
                        "rule_id": w.rule_id,
                        "level": w.level.value,
                        "score": w.score,
                        "domain": w.domain.value,
                        "raised_at": w.raised_at.isoformat(),
                        "responsible_department": w.responsible_department,
                    },
                    deadline=calendar.deadline(now, days) if days else None,
                    deadline_workdays=days,
                )
            )
        effects = Effects()
        await task_service.create_tasks(session, self.settings, specs, SYSTEM, effects, load=False)
        await effects.stage(session)

    async def _open_task(self, session: AsyncSession, warning_id: object) -> JointTask | None:
        task_id = await session.scalar(select(JointTask.id).where(JointTask.source_key == source_key(warning_id)))
        if task_id is None:
            return None
        task = await task_service.lock(session, task_id)
        if task is None or task.state in machine(task.kind).terminal:
            return None
        return task

    async def on_updated(self, session: AsyncSession, events: Sequence[WarningUpdated]) -> None:
        """A repeat changed the warning's level or score: recorded on the task, its department told."""
        effects = Effects()
        for e in events:
            w = e.data
            task = await self._open_task(session, w.warning_id)
            if task is None:
                continue
            now = utc_now()
            previous_level = task.details.get("level")
            task.details = {**task.details, "level": w.level.value, "score": w.score}
            record = evidence.warning_record(w).model_dump(mode="json")
            task.objects = [
                {
                    **o,
                    "basis_data": {
                        **o["basis_data"],
                        "risk_warning": [record]
                        + [r for r in o["basis_data"].get("risk_warning", []) if r.get("fxyj_id") != record["fxyj_id"]],
                    },
                }
                for o in task.objects
            ]
            task.modified_at = now
            seq = append_event(
                effects,
                task,
                action="warning_updated",
                actor=SYSTEM,
                at=now,
                side=Side.SYSTEM,
                data={"level": w.level.value, "previous_level": previous_level, "score": w.score, "event_id": e.id},
            )
            if previous_level != w.level.value:
                notify(
                    effects,
                    task,
                    task.assignee_department_id,
                    NotificationReason.STATUS_CHANGED,
                    f"风险预警等级由 {previous_level} 变为 {w.level.value}：风险处置任务 {task.task_no}《{task.title}》",
                    at=now,
                    seq=seq,
                )
        await effects.stage(session)

    async def on_closed(self, session: AsyncSession, events: Sequence[WarningClosed]) -> None:
        """risk-svc closed the warning (feedback recorded there): the task is closed too."""
        effects = Effects()
        for e in events:
            task = await self._open_task(session, e.data.warning_id)
            if task is None:
                continue
            t = machine(task.kind).find(task.state, Action.WARNING_CLOSED)
            await task_service.apply(
                session,
                self.settings,
                task,
                t,
                Side.SYSTEM,
                SYSTEM,
                ActionRequest(),
                effects,
                data={"outcome": e.data.outcome.value, "closed_at": e.data.closed_at.isoformat()},
            )
        await effects.stage(session)

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group,
            topics=(RISK_WARNINGS_TOPIC,),
            handlers={
                "gov.supervision.risk.warning.raised.v1": self.on_raised,
                "gov.supervision.risk.warning.updated.v1": self.on_updated,
                "gov.supervision.risk.warning.closed.v1": self.on_closed,
            },
        )
