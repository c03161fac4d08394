"""Who sees and changes which complaints (data scope), and who may see complainants' personal data.

Reads are limited to the caller's region subtree and, unless they read every department (leaders,
auditors, platform administrators), to complaints routed to their own department. Complaints not yet
routed to any department belong to the region's dispatchers: department administrators and agency
systems (the 12345/12315 dispatch centres) of the region see and handle them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from complaint_svc.complaints.models import Complaint
from svc_runtime.scope import AGENCY_SYSTEM, DEPARTMENT_ADMIN, INSPECTOR, LEADER, PLATFORM_ADMIN, DataScope, OutOfScope

DISPATCHER_ROLES = frozenset({DEPARTMENT_ADMIN, AGENCY_SYSTEM})
HANDLER_ROLES = frozenset({DEPARTMENT_ADMIN, INSPECTOR})
SUPERVISOR_ROLES = frozenset({PLATFORM_ADMIN, DEPARTMENT_ADMIN, LEADER})


def is_dispatcher(scope: DataScope) -> bool:
    return bool(scope.principal.roles & DISPATCHER_ROLES)


def visible(scope: DataScope) -> ColumnElement[bool]:
    """The WHERE clause of the complaints a caller may read."""
    if scope.unrestricted:
        return true()
    region = Complaint.region_code.startswith(scope.prefix, autoescape=True) if scope.prefix else true()
    if scope.all_departments:
        return region
    own: list[ColumnElement[Any]] = []
    if scope.department is not None:
        own.append(Complaint.department_id == scope.department)
    if is_dispatcher(scope):
        own.append(Complaint.department_id.is_(None))
    if not own:
        raise OutOfScope("your token carries no department")
    return and_(region, or_(*own))


def check_read(scope: DataScope, complaint: Complaint) -> None:
    if complaint.department_id is None and is_dispatcher(scope):
        scope.check_read(region_code=complaint.region_code)
        return
    scope.check_read(region_code=complaint.region_code, department_id=complaint.department_id)


def check_write(scope: DataScope, complaint: Complaint) -> None:
    """The responsible department changes a routed complaint; the region's dispatchers an unrouted one."""
    if scope.unrestricted:
        return
    if complaint.department_id is None:
        if not is_dispatcher(scope):
            raise OutOfScope("this complaint is not routed yet; the region's dispatchers handle it")
        scope.check_write(region_code=complaint.region_code)
        return
    scope.check_write(region_code=complaint.region_code, department_id=complaint.department_id)


def check_dispatch(scope: DataScope, complaint: Complaint) -> None:
    """Dispatching and reassigning: the responsible department, or the region's dispatchers."""
    if scope.unrestricted:
        return
    if is_dispatcher(scope):
        scope.check_write(region_code=complaint.region_code)
        return
    check_write(scope, complaint)


def check_supervise(scope: DataScope, complaint: Complaint) -> None:
    """督办: leaders, department administrators and platform administrators whose region covers it."""
    if not scope.principal.roles & SUPERVISOR_ROLES:
        raise OutOfScope("supervision (督办) is for leaders and department administrators")
    scope.check_read(region_code=complaint.region_code)


def sees_personal_data(scope: DataScope, complaint: Complaint) -> bool:
    """Only the handler sees the complainant in the clear: staff of the responsible department (or its dispatchers)."""
    if scope.unrestricted:
        return True
    roles = scope.principal.roles
    if complaint.department_id is None:
        return bool(roles & {DEPARTMENT_ADMIN}) and complaint.region_code.startswith(scope.prefix)
    return (
        bool(roles & HANDLER_ROLES)
        and scope.department is not None
        and scope.department == complaint.department_id
        and complaint.region_code.startswith(scope.prefix)
    )


def department_in_scope(scope: DataScope, department_id: uuid.UUID | None) -> bool:
    return scope.unrestricted or department_id is None or is_dispatcher(scope) or scope.department == department_id
