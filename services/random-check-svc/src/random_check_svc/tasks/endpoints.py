"""HTTP interface of tasks: results, evidence, disclosure, and compact views for the mobile app."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status

from random_check_svc.access import SettingsDep
from random_check_svc.draws import service as draw_service
from random_check_svc.tasks import service as task_service
from random_check_svc.tasks.models import TaskStatus
from random_check_svc.tasks.schemas import (
    EvidenceRead,
    MobileTask,
    PublishRequest,
    PublishResult,
    ResultSubmit,
    TaskRead,
)
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["tasks"])
mobile_router = APIRouter(prefix="/mobile", tags=["mobile"])


@router.get("/tasks", response_model=Page[TaskRead])
async def list_tasks(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    draw_id: Annotated[uuid.UUID | None, Query(description="Tasks of this draw.")] = None,
    plan_id: Annotated[uuid.UUID | None, Query(description="Tasks of this plan.")] = None,
    status: Annotated[TaskStatus | None, Query(description="Task status.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Tasks of this department.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="Tasks about this object.")] = None,
    inspector_id: Annotated[uuid.UUID | None, Query(description="Tasks this inspector was drawn for.")] = None,
    overdue: Annotated[bool | None, Query(description="Result not entered by the due date.")] = None,
    disclosure_overdue: Annotated[
        bool | None, Query(description="Result entered but not disclosed within the working days allowed.")
    ] = None,
    sort: Annotated[str | None, Query(description="due_date, check_date, status; `-` for descending.")] = None,
) -> Page[TaskRead]:
    """List check tasks of your department (leaders: your region)."""
    rows, total = await task_service.list_tasks(
        session,
        pagination,
        scope=scope,
        draw_id=draw_id,
        plan_id=plan_id,
        status=status,
        department_id=department_id,
        object_id=object_id,
        inspector_id=inspector_id,
        overdue=overdue,
        disclosure_overdue=disclosure_overdue,
        sort=sort,
    )
    return Page(items=rows, total=total, page=pagination.page, limit=pagination.limit)


@router.get("/tasks/{task_id}", response_model=TaskRead, responses={404: {}})
async def get_task(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> TaskRead:
    """Get a check task with its result."""
    return task_service.task_read(*await task_service.get(session, task_id, scope))


@router.put("/tasks/{task_id}/result", response_model=TaskRead, responses={403: {}, 404: {}, 409: {}, 422: {}})
async def submit_result(
    task_id: uuid.UUID, data: ResultSubmit, session: SessionDep, scope: DataScopeDep, settings: SettingsDep
) -> TaskRead:
    """Enter a task's result on its items' inspection forms (repeatable until disclosed; safe to retry)."""
    await task_service.submit_result(session, task_id, data, scope=scope, settings=settings)
    return task_service.task_read(*await task_service.get(session, task_id, scope))


@router.post("/tasks/{task_id}/publish", response_model=TaskRead, responses={403: {}, 404: {}, 409: {}})
async def publish_task(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> TaskRead:
    """Disclose a finished task's result to the public (一公开) and as an event."""
    await task_service.publish_one(session, task_id, scope)
    return task_service.task_read(*await task_service.get(session, task_id, scope))


@router.post("/draws/{draw_id}/publish", response_model=PublishResult, responses={403: {}, 404: {}, 409: {}})
async def publish_draw(
    draw_id: uuid.UUID, data: PublishRequest, session: SessionDep, scope: DataScopeDep
) -> PublishResult:
    """Disclose results of a draw: the tasks named (all must be finished) or every finished one of your department."""
    await draw_service.get(session, draw_id, scope)
    ids = await task_service.publish_draw(session, draw_id, data.task_ids, scope)
    return PublishResult(published=len(ids), task_ids=ids)


@router.post(
    "/evidence",
    response_model=EvidenceRead,
    status_code=status.HTTP_201_CREATED,
    responses={403: {}, 404: {}, 409: {}, 413: {}, 415: {}, 422: {}},
)
async def add_evidence(
    session: SessionDep,
    scope: DataScopeDep,
    settings: SettingsDep,
    task_id: Annotated[uuid.UUID, Form(description="The task the evidence belongs to.")],
    file: Annotated[UploadFile, File(description="A photo (JPEG, PNG), a video (MP4) or a PDF.")],
    description: Annotated[str | None, Form(max_length=500, description="What it shows.")] = None,
) -> EvidenceRead:
    """Attach an evidence file to a task (type checked against its content, size limited)."""
    row = await task_service.add_evidence(session, task_id, file, description, scope=scope, settings=settings)
    return EvidenceRead.model_validate(row)


@router.get("/tasks/{task_id}/evidence", response_model=list[EvidenceRead], responses={404: {}})
async def list_evidence(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> list[EvidenceRead]:
    """List a task's evidence attachments."""
    return [EvidenceRead.model_validate(r) for r in await task_service.list_evidence(session, task_id, scope)]


@router.get(
    "/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {}},
)
async def get_evidence(evidence_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Response:
    """Download an evidence file (its SHA-256 in `x-sha256`)."""
    row = await task_service.get_evidence(session, evidence_id, scope)
    return Response(
        row.data,
        media_type=row.content_type,
        headers={"x-sha256": row.sha256, "content-disposition": f'attachment; filename="{row.id}"'},
    )


def _etag_response(response: Response, body: bytes, if_none_match: str | None) -> Response | None:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"etag": etag})
    response.headers["etag"] = etag
    return None


@mobile_router.get("/tasks", response_model=list[MobileTask], responses={304: {"description": "Not modified"}})
async def my_tasks(
    session: SessionDep,
    scope: DataScopeDep,
    response: Response,
    include_done: Annotated[bool, Query(description="Also tasks whose result is entered but not disclosed.")] = False,
    if_none_match: Annotated[str | None, Header(description="ETag of the list the app already has.")] = None,
) -> Response | list[MobileTask]:
    """List your own open tasks with their inspection forms inline (ETag: 304 when nothing changed)."""
    tasks = await task_service.mobile_tasks(session, scope, include_done=include_done)
    body = b"".join(t.model_dump_json().encode() for t in tasks)
    return _etag_response(response, body, if_none_match) or tasks


@mobile_router.get("/tasks/{task_id}", response_model=MobileTask, responses={404: {}})
async def my_task(task_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> MobileTask:
    """Get one of your tasks with its inspection forms, ready to fill in."""
    return (await task_service.mobile_tasks(session, scope, task_id=task_id))[0]
