"""Starting each kind of joint work from a department's request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from joint_svc.deadlines import clock
from joint_svc.evidence import service as evidence_service
from joint_svc.routing import service as routing
from joint_svc.settings import JointSettings
from joint_svc.tasks.effects import Actor, Effects
from joint_svc.tasks.models import JointTask
from joint_svc.tasks.schemas import (
    ApprovalLinkageCreate,
    AssistanceCreate,
    CampaignCreate,
    Deadline,
    LeadForwardingCreate,
)
from joint_svc.tasks.service import NewTask, check_attachments, create_tasks
from supervision_schemas.joint import JointSuperviseObject, JointTaskKind, TaskOrigin
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, Problem
from svc_runtime.scope import DataScope, OutOfScope


class NoSupervisor(Problem):
    status = 422
    title = "No supervising department"


class Unprocessable(Problem):
    status = 422
    title = "Validation failed"


def _initiator(session_scope: DataScope) -> Actor:
    """The caller as the initiating department: a department role with a department and a region."""
    actor = Actor.of(session_scope)
    if session_scope.read_only:
        raise OutOfScope("your role may read but not change data")
    if actor.department_id is None:
        raise OutOfScope("your token carries no department; tasks are sent by a department")
    if actor.region_code is None:
        raise OutOfScope("your token carries no region; ask an administrator to assign one")
    return actor


def _deadline(settings: JointSettings, body: Deadline, kind: JointTaskKind) -> tuple[datetime | None, int | None]:
    return clock.deadline_for(
        settings,
        utc_now(),
        workdays=body.deadline_workdays,
        day=body.deadline,
        default_workdays=settings.joint_default_workdays.get(kind.value),
    )


async def _initiator_name(session: AsyncSession, actor: Actor) -> str | None:
    assert actor.department_id is not None
    dept = await routing.department(session, actor.department_id)
    return dept.name if dept else None


async def _objects(session: AsyncSession, objects: list[JointSuperviseObject]) -> list[dict[str, Any]]:
    """Objects with their evidence pack completed from what the platform knows about each."""
    return await evidence_service.complete(session, objects)


async def approval_linkage(
    session: AsyncSession, settings: JointSettings, scope: DataScope, body: ApprovalLinkageCreate
) -> JointTask:
    """Push an approval to the department that supervises its item and industry in the applicant's region."""
    actor = _initiator(scope)
    if body.approved_at > datetime.now(UTC) + timedelta(minutes=10):
        raise Unprocessable(
            "approved_at: lies in the future",
            errors=[{"loc": ["body", "approved_at"], "msg": "lies in the future", "type": "value_error"}],
        )
    check_attachments(settings, body.attachments)
    if body.department_id is not None:
        dept = await routing.require_department(session, body.department_id, "department_id")
    else:
        found = await routing.resolve_supervisor(
            session,
            item_code=body.supervision_item_code,
            industry_code=body.industry_code,
            region_code=body.region_code,
        )
        if found is None:
            raise NoSupervisor(
                f"no supervising department found for item {body.supervision_item_code or '-'}, industry "
                f"{body.industry_code or '-'} in region {body.region_code}; name department_id or add a route",
                errors=[
                    {"loc": ["body", "department_id"], "msg": "no route or catalog item names one", "type": "missing"}
                ],
            )
        dept = found
    source_key = f"approval:{actor.department_id}:{body.approval_no}"
    existing = await session.scalar(select(JointTask.task_no).where(JointTask.source_key == source_key))
    if existing is not None:
        raise Conflict(f"approval {body.approval_no} was already pushed as task {existing}", task_no=existing)
    deadline, workdays = _deadline(settings, body, JointTaskKind.APPROVAL_LINKAGE)
    spec = NewTask(
        kind=JointTaskKind.APPROVAL_LINKAGE,
        origin=TaskOrigin.LOCAL,
        title=body.title or f"审批联动：{body.licence_item_name}（{body.applicant.name}）",
        content=body.content,
        requirements="；".join(body.commitments) or None,
        region_code=body.region_code,
        initiator_region_code=actor.region_code or body.region_code,
        department=dept,
        initiator_department_id=actor.department_id,
        initiator_department_name=await _initiator_name(session, actor),
        initiator_subject=actor.subject,
        source_key=source_key,
        supervision_item_code=body.supervision_item_code,
        industry_code=body.industry_code,
        objects=await _objects(session, [body.applicant]),
        details={
            "approval_no": body.approval_no,
            "approval_type": body.approval_type.value,
            "licence_item_name": body.licence_item_name,
            "licence_item_code": body.licence_item_code,
            "approved_at": body.approved_at.isoformat(),
            "commitments": body.commitments,
            "routed": "explicit" if body.department_id else "route",
        },
        attachments=[a.model_dump(mode="json") for a in body.attachments],
        deadline=deadline,
        deadline_workdays=workdays,
    )
    effects = Effects()
    [task] = await create_tasks(session, settings, [spec], actor, effects)
    await effects.stage(session)
    return task


async def lead_forwarding(
    session: AsyncSession, settings: JointSettings, scope: DataScope, body: LeadForwardingCreate
) -> list[JointTask]:
    """Send a case lead or a copy to each recipient: one task per receiving department."""
    actor = _initiator(scope)
    check_attachments(settings, body.attachments)
    depts = [await routing.require_department(session, d, f"recipients.{i}") for i, d in enumerate(body.recipients)]
    deadline, workdays = _deadline(settings, body, JointTaskKind.LEAD_FORWARDING)
    name = await _initiator_name(session, actor)
    objects = await _objects(session, body.objects)
    specs = [
        NewTask(
            kind=JointTaskKind.LEAD_FORWARDING,
            origin=TaskOrigin.LOCAL,
            title=body.title,
            content=body.content,
            region_code=body.region_code or dept.region_code,
            initiator_region_code=actor.region_code or dept.region_code,
            department=dept,
            initiator_department_id=actor.department_id,
            initiator_department_name=name,
            initiator_subject=actor.subject,
            supervision_item_code=body.supervision_item_code,
            industry_code=body.industry_code,
            objects=objects,
            details={"lead_type": body.lead_type.value, "case_no": body.case_no, "recipients": len(depts)},
            attachments=[a.model_dump(mode="json") for a in body.attachments],
            deadline=deadline,
            deadline_workdays=workdays,
        )
        for dept in depts
    ]
    effects = Effects()
    tasks = await create_tasks(session, settings, specs, actor, effects)
    await effects.stage(session)
    return tasks


async def assistance(
    session: AsyncSession, settings: JointSettings, scope: DataScope, body: AssistanceCreate
) -> JointTask:
    """Ask another department to investigate or co-handle (协查协办)."""
    actor = _initiator(scope)
    check_attachments(settings, body.attachments)
    dept = await routing.require_department(session, body.department_id, "department_id")
    if dept.department_id == actor.department_id:
        raise Unprocessable(
            "department_id: a department does not ask itself for assistance",
            errors=[{"loc": ["body", "department_id"], "msg": "is your own department", "type": "value_error"}],
        )
    deadline, workdays = _deadline(settings, body, JointTaskKind.ASSISTANCE)
    spec = NewTask(
        kind=JointTaskKind.ASSISTANCE,
        origin=TaskOrigin.LOCAL,
        title=body.title,
        content=body.content,
        requirements=body.requirements,
        region_code=body.region_code or dept.region_code,
        initiator_region_code=actor.region_code or dept.region_code,
        department=dept,
        initiator_department_id=actor.department_id,
        initiator_department_name=await _initiator_name(session, actor),
        initiator_subject=actor.subject,
        supervision_item_code=body.supervision_item_code,
        industry_code=body.industry_code,
        objects=await _objects(session, body.objects),
        details={"assistance_type": body.assistance_type.value},
        attachments=[a.model_dump(mode="json") for a in body.attachments],
        deadline=deadline,
        deadline_workdays=workdays,
    )
    effects = Effects()
    [task] = await create_tasks(session, settings, [spec], actor, effects)
    await effects.stage(session)
    return task


async def campaign(session: AsyncSession, settings: JointSettings, scope: DataScope, body: CampaignCreate) -> JointTask:
    """Draft a special rectification campaign (专项整治); launching it distributes its tasks."""
    actor = _initiator(scope)
    scope.check_write(region_code=body.region_code)
    check_attachments(settings, body.attachments)
    depts = [await routing.require_department(session, d, f"departments.{i}") for i, d in enumerate(body.departments)]
    deadline, workdays = _deadline(settings, body, JointTaskKind.CAMPAIGN)
    spec = NewTask(
        kind=JointTaskKind.CAMPAIGN,
        origin=TaskOrigin.LOCAL,
        title=body.title,
        content=body.scope,
        requirements=body.requirements,
        region_code=body.region_code,
        initiator_region_code=actor.region_code or body.region_code,
        department=None,
        initiator_department_id=actor.department_id,
        initiator_department_name=await _initiator_name(session, actor),
        initiator_subject=actor.subject,
        supervision_item_code=body.supervision_item_codes[0] if body.supervision_item_codes else None,
        industry_code=body.industry_codes[0] if body.industry_codes else None,
        objects=await _objects(session, body.objects),
        details={
            "scope": body.scope,
            "departments": [
                {"department_id": str(d.department_id), "name": d.name, "region_code": d.region_code} for d in depts
            ],
            "supervision_item_codes": body.supervision_item_codes,
            "industry_codes": body.industry_codes,
            "deadline_given": "date" if body.deadline is not None else "workdays",
        },
        attachments=[a.model_dump(mode="json") for a in body.attachments],
        deadline=deadline,
        deadline_workdays=workdays,
    )
    effects = Effects()
    [task] = await create_tasks(session, settings, [spec], actor, effects)
    await effects.stage(session)
    return task
