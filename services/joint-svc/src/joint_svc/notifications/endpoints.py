"""A department's inbox: what it was told about its tasks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import SQLColumnExpression, select

from joint_svc.notifications.models import Notification
from joint_svc.notifications.schemas import NotificationRead
from supervision_schemas.joint import NotificationReason
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep, OutOfScope

router = APIRouter(prefix="/notifications", tags=["notifications"])
_SORT: dict[str, SQLColumnExpression[Any]] = {"created_at": Notification.created_at}


class NotificationNotFound(NotFound):
    title = "Notification not found"


def _department(scope: DataScope, department_id: uuid.UUID | None) -> uuid.UUID:
    """Whose inbox: your department's; platform administrators may name any department."""
    if department_id is not None and (scope.unrestricted or department_id == scope.department):
        return department_id
    if department_id is not None:
        raise OutOfScope("you may read only your own department's notifications")
    if scope.department is None:
        raise OutOfScope("your token carries no department")
    return scope.department


@router.get("", response_model=Page[NotificationRead])
async def list_notifications(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    unread: Annotated[bool | None, Query(description="Only unread (true) or read (false) notifications.")] = None,
    reason: Annotated[NotificationReason | None, Query(description="Only this reason.")] = None,
    task_id: Annotated[uuid.UUID | None, Query(description="Only about this task.")] = None,
    department_id: Annotated[
        uuid.UUID | None, Query(description="Department whose inbox to read (platform administrators).")
    ] = None,
    sort: Annotated[str | None, Query(description="Sort by created_at; '-' for descending.")] = None,
) -> Page[NotificationRead]:
    """List your department's notifications, newest first."""
    stmt = select(Notification).where(Notification.department_id == _department(scope, department_id))
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    if reason is not None:
        stmt = stmt.where(Notification.reason == reason)
    if task_id is not None:
        stmt = stmt.where(Notification.task_id == task_id)
    stmt = stmt.order_by(*order_by(sort, _SORT, "-created_at"), Notification.id)
    items, total = await paginate(session, stmt, pagination)
    return Page(
        items=[NotificationRead.model_validate(i) for i in items],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.post(
    "/{notification_id}/read",
    response_model=NotificationRead,
    responses={404: {"description": "No such notification in your inbox."}},
)
async def mark_read(notification_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Notification:
    """Mark a notification of your department as read."""
    row = await session.get(Notification, notification_id, with_for_update=True)
    if row is None or not (scope.unrestricted or row.department_id == scope.department):
        raise NotificationNotFound(f"no notification {notification_id} in your inbox")
    if row.read_at is None:
        row.read_at = utc_now()
        row.read_by = scope.principal.subject
    return row
