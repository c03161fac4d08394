"""Tasks: results against the inspection form, evidence, disclosure (一公开) and the mobile views."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from fastapi import UploadFile
from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from random_check_svc.access import actor, caller_user_id, only_inspector
from random_check_svc.draws.models import RcDraw
from random_check_svc.errors import (
    EvidenceRejected,
    EvidenceTooLarge,
    IllegalState,
    InvalidInput,
    UnknownRecord,
)
from random_check_svc.library.models import ObjectStatus, RcDepartment, RcInspector, RcItem, RcObject
from random_check_svc.library.service import forms_for
from random_check_svc.plans.models import RcPlan
from random_check_svc.settings import RandomCheckSettings
from random_check_svc.tasks.forms import field_errors
from random_check_svc.tasks.models import OPEN_STATUSES, RcEvidence, RcTask, RcVisit, TaskStatus
from random_check_svc.tasks.schemas import MobileFormField, MobileItem, MobileTask, ResultSubmit, TaskRead
from supervision_schemas.randomcheck import (
    PROBLEM_CATEGORIES,
    CheckResultPublished,
    CheckResultPublishedData,
    ResultCategory,
)
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams, order_by
from svc_runtime.scope import DataScope, OutOfScope
from svc_runtime.workdays import CHINA_TZ

SOURCE = "/random-check-svc"
AUTO_DISCLOSER = "random-check-svc:auto-disclosure"
_log = logging.getLogger("random_check_svc.disclosure")
ON_SITE = frozenset({ResultCategory.NO_PROBLEM, *PROBLEM_CATEGORIES})  # the form must be filled in
TASK_SORT = {"due_date": RcTask.due_date, "check_date": RcTask.check_date, "status": RcTask.status}
SNIFFERS: tuple[tuple[str, Any], ...] = (
    ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ("video/mp4", lambda head: head[4:8] == b"ftyp"),
)


def today() -> date:
    return datetime.now(CHINA_TZ).date()


def task_visible(scope: DataScope) -> ColumnElement[bool]:
    return scope.condition(region=RcTask.region_code, department=RcTask.department_id)


def _task_select() -> Select[*tuple[Any, ...]]:
    return (
        select(RcTask, RcObject.name, RcObject.uscc, RcVisit.joint)
        .join(RcVisit, RcVisit.id == RcTask.visit_id)
        .outerjoin(RcObject, RcObject.object_id == RcTask.object_id)
    )


def task_read(task: RcTask, name: str | None, uscc: str | None, joint: bool, *, on: date | None = None) -> TaskRead:
    day = on or today()
    read = TaskRead.model_validate(task)
    read.object_name, read.uscc, read.joint = name, uscc, joint
    read.overdue = task.status in OPEN_STATUSES and task.due_date < day
    read.disclosure_overdue = (
        task.status == TaskStatus.SUBMITTED.value and task.disclosure_due is not None and task.disclosure_due < day
    )
    return read


async def list_tasks(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    draw_id: uuid.UUID | None = None,
    plan_id: uuid.UUID | None = None,
    status: TaskStatus | None = None,
    department_id: uuid.UUID | None = None,
    object_id: uuid.UUID | None = None,
    inspector_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    disclosure_overdue: bool | None = None,
    sort: str | None = None,
) -> tuple[list[TaskRead], int]:
    statement = _task_select().where(task_visible(scope))
    day = today()
    for column, value in (
        (RcTask.draw_id, draw_id),
        (RcTask.plan_id, plan_id),
        (RcTask.department_id, department_id),
        (RcTask.object_id, object_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if status:
        statement = statement.where(RcTask.status == status.value)
    if inspector_id:
        statement = statement.where(RcTask.inspector_ids.contains([inspector_id]))
    if overdue is not None:
        late = and_(RcTask.status.in_(OPEN_STATUSES), RcTask.due_date < day)
        statement = statement.where(late if overdue else ~late)
    if disclosure_overdue is not None:
        late = and_(RcTask.status == TaskStatus.SUBMITTED.value, RcTask.disclosure_due < day)
        statement = statement.where(late if disclosure_overdue else ~late)
    statement = statement.order_by(*order_by(sort, TASK_SORT, "due_date"), RcTask.id)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.execute(statement.offset(params.offset).limit(params.limit))).all()
    return [task_read(t, n, u, j, on=day) for t, n, u, j in rows], int(total or 0)


async def get(
    session: AsyncSession, task_id: uuid.UUID, scope: DataScope
) -> tuple[RcTask, str | None, str | None, bool]:
    row = (await session.execute(_task_select().where(RcTask.id == task_id, task_visible(scope)))).first()
    if row is None:
        raise UnknownRecord(f"no task {task_id} in your scope")
    return row[0], row[1], row[2], row[3]


def check_acting(task: RcTask, scope: DataScope) -> None:
    """Write access to a task: its department; an inspector only on tasks drawn for them."""
    scope.check_write(region_code=task.region_code, department_id=task.department_id)
    if only_inspector(scope) and caller_user_id(scope) not in task.inspector_ids:
        raise OutOfScope("you were not drawn for this task")


async def submit_result(
    session: AsyncSession, task_id: uuid.UUID, data: ResultSubmit, *, scope: DataScope, settings: RandomCheckSettings
) -> RcTask:
    """Enter (or correct, until disclosed) a task's result, validated against the items' inspection forms."""
    task, *_ = await get(session, task_id, scope)
    check_acting(task, scope)
    if task.status == TaskStatus.PUBLISHED.value:
        raise IllegalState("the result has been disclosed and can no longer change")
    draw = await session.get(RcDraw, task.draw_id)
    assert draw is not None
    assert draw.drawn_at is not None
    errors: list[dict[str, Any]] = []
    drawn_on = draw.drawn_at.astimezone(CHINA_TZ).date()
    if data.checked_on > today():
        errors.append({"loc": ["body", "checked_on"], "msg": "the check cannot end in the future"})
    elif data.checked_on < drawn_on:
        errors.append({"loc": ["body", "checked_on"], "msg": f"the check cannot end before the draw ({drawn_on})"})
    if data.category in PROBLEM_CATEGORIES and not data.summary:
        errors.append({"loc": ["body", "summary"], "msg": "describe the problem found (public summary)"})
    forms = await forms_for(session, task.item_codes)
    for code in data.forms:
        if code not in task.item_codes:
            errors.append({"loc": ["body", "forms", code], "msg": f"{code} is not an item of this task"})
    require = data.category in ON_SITE
    for code in task.item_codes:
        values = data.forms.get(code, {})
        form = forms.get(code)
        if form is None:
            if values:
                errors.append({"loc": ["body", "forms", code], "msg": f"item {code} has no inspection form"})
            continue
        for key, message in field_errors(form.form, values, require=require):
            errors.append({"loc": ["body", "forms", code, key], "msg": message})
    if errors:
        first = errors[0]
        raise InvalidInput(
            f"the result does not fit the form: {'.'.join(str(p) for p in first['loc'][1:])}: {first['msg']}",
            errors=errors,
        )
    task.category = data.category.value
    task.problem_found = data.category in PROBLEM_CATEGORIES
    task.summary = data.summary
    task.findings = data.findings
    task.forms = {code: data.forms.get(code, {}) for code in task.item_codes if code in data.forms}
    task.inspection_list_codes = sorted(forms[c].code for c in task.item_codes if c in forms)
    task.checked_on = data.checked_on
    task.submitted_at = utc_now()
    task.submitted_by = actor(scope)
    task.disclosure_due = settings.calendar().add_workdays(data.checked_on, settings.disclosure_workdays)
    task.status = TaskStatus.SUBMITTED
    if data.category is ResultCategory.CLOSED:
        obj = await session.get(RcObject, task.object_id)
        if obj is not None and obj.status == ObjectStatus.ACTIVE.value:
            obj.status = ObjectStatus.DEREGISTERED
            obj.status_reason = f"found closed by check task {task.id} on {data.checked_on}"
    await session.flush()
    return task


async def _published_event(session: AsyncSession, task: RcTask) -> CheckResultPublished:
    plan = await session.get(RcPlan, task.plan_id)
    obj = await session.get(RcObject, task.object_id)
    visit = await session.get(RcVisit, task.visit_id)
    dept = await session.get(RcDepartment, task.department_id)
    assert plan is not None
    assert obj is not None
    assert visit is not None
    assert task.checked_on
    assert task.published_at
    return CheckResultPublished.build(
        source=SOURCE,
        subject=str(task.object_id),
        data=CheckResultPublishedData(
            result_id=task.id,
            visit_id=task.visit_id,
            draw_id=task.draw_id,
            plan_id=task.plan_id,
            plan_name=plan.name,
            joint=visit.joint,
            object_id=task.object_id,
            uscc=obj.uscc,
            object_name=obj.name,
            region_code=task.region_code,
            industry_code=obj.industry_code,
            department_id=task.department_id,
            department_name=dept.name if dept else None,
            item_codes=task.item_codes,
            inspection_list_codes=task.inspection_list_codes or [],
            checked_on=task.checked_on,
            category=ResultCategory(task.category or ResultCategory.NO_PROBLEM),
            problem_found=bool(task.problem_found),
            summary=task.summary,
            published_at=task.published_at,
        ),
    )


async def publish(session: AsyncSession, tasks: list[RcTask], scope: DataScope) -> None:
    """Disclose finished results; refuse the lot, changing nothing, if any is not finished."""
    unfinished = [t for t in tasks if t.status != TaskStatus.SUBMITTED.value]
    for task in tasks:
        scope.check_write(region_code=task.region_code, department_id=task.department_id)
    if unfinished:
        listed = ", ".join(f"{t.id} ({t.status})" for t in unfinished[:20])
        raise IllegalState(
            f"only finished checks can be disclosed; enter the result first: {listed}",
            unfinished=[str(t.id) for t in unfinished],
        )
    await _disclose(session, tasks, by=actor(scope))


async def _disclose(session: AsyncSession, tasks: Sequence[RcTask], *, by: str) -> None:
    """Mark finished tasks disclosed and stage their `CheckResultPublished` events (same transaction)."""
    now = utc_now()
    events = []
    for task in tasks:
        task.status = TaskStatus.PUBLISHED
        task.published_at = now
        task.published_by = by
        events.append(await _published_event(session, task))
    if events:
        await outbox.stage(session, *events)
    await session.flush()


async def disclose_due(
    session: AsyncSession, settings: RandomCheckSettings, *, on: date | None = None, limit: int = 500
) -> list[uuid.UUID]:
    """Disclose, without waiting for anyone, the entered results whose disclosure deadline has come.

    A result is due `auto_disclosure_lead_workdays` working days before its deadline (the deadline itself by
    default), counted on the configured working-day calendar. Rows are claimed with SKIP LOCKED and move
    to `published` in the transaction that stages their events, so a second replica, a re-run or a restart
    never discloses a result twice.
    """
    day = on or today()
    cutoff = settings.calendar().add_workdays(day, settings.auto_disclosure_lead_workdays)
    statement = (
        select(RcTask)
        .where(RcTask.status == TaskStatus.SUBMITTED.value, RcTask.disclosure_due <= cutoff)
        .order_by(RcTask.disclosure_due, RcTask.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    tasks = list((await session.scalars(statement)).all())
    await _disclose(session, tasks, by=AUTO_DISCLOSER)
    return [t.id for t in tasks]


async def run_auto_disclosure(sessionmaker: async_sessionmaker[AsyncSession], settings: RandomCheckSettings) -> None:
    """Background worker: disclose due results every `auto_disclosure_interval_s` (at once again after a full batch)."""
    batch = 500
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                disclosed = await disclose_due(session, settings, limit=batch)
            if disclosed:
                _log.info("results disclosed automatically", extra={"tasks": len(disclosed)})
            if len(disclosed) >= batch:
                continue
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("automatic disclosure failed")
        await asyncio.sleep(settings.auto_disclosure_interval_s)


async def publish_one(session: AsyncSession, task_id: uuid.UUID, scope: DataScope) -> RcTask:
    task, *_ = await get(session, task_id, scope)
    await publish(session, [task], scope)
    return task


async def publish_draw(
    session: AsyncSession, draw_id: uuid.UUID, task_ids: list[uuid.UUID] | None, scope: DataScope
) -> list[uuid.UUID]:
    """Disclose the given tasks of a draw, or all its finished tasks your department may disclose."""
    statement = select(RcTask).where(RcTask.draw_id == draw_id, task_visible(scope))
    if task_ids is not None:
        tasks = list((await session.scalars(statement.where(RcTask.id.in_(task_ids)))).all())
        missing = set(task_ids) - {t.id for t in tasks}
        if missing:
            raise UnknownRecord(f"no such tasks of this draw in your scope: {', '.join(sorted(map(str, missing)))}")
    else:
        tasks = list((await session.scalars(statement.where(RcTask.status == TaskStatus.SUBMITTED.value))).all())
    await publish(session, tasks, scope)
    return [t.id for t in tasks]


def _sniff(head: bytes) -> str | None:
    for content_type, matches in SNIFFERS:
        if matches(head):
            return content_type
    return None


async def add_evidence(
    session: AsyncSession,
    task_id: uuid.UUID,
    upload: UploadFile,
    description: str | None,
    *,
    scope: DataScope,
    settings: RandomCheckSettings,
) -> RcEvidence:
    """Attach a photo, video or PDF: size limit, type checked against the file's leading bytes."""
    task, *_ = await get(session, task_id, scope)
    check_acting(task, scope)
    if task.status == TaskStatus.PUBLISHED.value:
        raise IllegalState("the result has been disclosed; evidence can no longer be added")
    chunks, size = [], 0
    while chunk := await upload.read(1024 * 1024):
        size += len(chunk)
        if size > settings.evidence_max_bytes:
            raise EvidenceTooLarge(f"evidence is limited to {settings.evidence_max_bytes} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise InvalidInput("file: the file is empty", errors=[{"loc": ["body", "file"], "msg": "empty file"}])
    actual = _sniff(data[:16])
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    if actual is None or actual not in settings.evidence_types:
        raise EvidenceRejected(
            f"file: accepted types are {', '.join(settings.evidence_types)}; this file is none of them",
            accepted=settings.evidence_types,
        )
    if declared and declared not in (actual, "application/octet-stream"):
        raise EvidenceRejected(f"file: declared {declared} but the file is {actual}", accepted=settings.evidence_types)
    filename = PurePosixPath((upload.filename or "evidence").replace("\\", "/")).name[:200] or "evidence"
    row = RcEvidence(
        task_id=task.id,
        filename=filename,
        content_type=actual,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        description=description,
        data=data,
        uploaded_by=actor(scope),
    )
    session.add(row)
    await session.flush()
    return row


async def list_evidence(session: AsyncSession, task_id: uuid.UUID, scope: DataScope) -> list[RcEvidence]:
    await get(session, task_id, scope)
    statement = select(RcEvidence).where(RcEvidence.task_id == task_id).order_by(RcEvidence.uploaded_at)
    return list((await session.scalars(statement)).all())


async def get_evidence(session: AsyncSession, evidence_id: uuid.UUID, scope: DataScope) -> RcEvidence:
    row = await session.get(RcEvidence, evidence_id)
    if row is None:
        raise UnknownRecord(f"no evidence {evidence_id} in your scope")
    await get(session, row.task_id, scope)
    return row


async def mobile_tasks(
    session: AsyncSession, scope: DataScope, *, task_id: uuid.UUID | None = None, include_done: bool = False
) -> list[MobileTask]:
    """The caller's own tasks with the forms inline (open ones; with `include_done`, also entered ones)."""
    me = caller_user_id(scope)
    if me is None:
        raise OutOfScope("the mobile views are for inspectors signed in as themselves")
    statement = _task_select().where(task_visible(scope), RcTask.inspector_ids.contains([me]))
    if task_id is not None:
        statement = statement.where(RcTask.id == task_id)
    elif include_done:
        statement = statement.where(RcTask.status != TaskStatus.PUBLISHED.value)
    else:
        statement = statement.where(RcTask.status.in_(OPEN_STATUSES))
    rows = (await session.execute(statement.order_by(RcTask.due_date, RcTask.id).limit(200))).all()
    if task_id is not None and not rows:
        raise UnknownRecord(f"no task {task_id} of yours")
    codes = sorted({c for t, *_ in rows for c in t.item_codes})
    forms = await forms_for(session, codes)
    item_rows = await session.execute(select(RcItem.code, RcItem.name).where(RcItem.code.in_(codes)))
    names = dict(item_rows.all())
    people = {i for t, *_ in rows for i in t.inspector_ids}
    people_rows = await session.execute(
        select(RcInspector.user_id, RcInspector.name).where(RcInspector.user_id.in_(people))
    )
    inspector_names = dict(people_rows.all())
    day = today()
    result = []
    for task, name, uscc, joint in rows:
        result.append(
            MobileTask(
                id=task.id,
                status=TaskStatus(task.status),
                object_name=name,
                uscc=uscc,
                region_code=task.region_code,
                check_date=task.check_date,
                due_date=task.due_date,
                overdue=task.status in OPEN_STATUSES and task.due_date < day,
                joint=joint,
                items=[
                    MobileItem(
                        code=code,
                        name=names.get(code),
                        inspection_list_code=forms[code].code if code in forms else None,
                        form=[MobileFormField.model_validate(f) for f in forms[code].form] if code in forms else [],
                    )
                    for code in task.item_codes
                ],
                co_inspectors=[inspector_names.get(i, str(i)) for i in task.inspector_ids if i != me],
                category=ResultCategory(task.category) if task.category else None,
            )
        )
    return result
