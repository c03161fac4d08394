"""Events of people: inspectors (random-check-svc keeps its inspector database from these)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.users.models import User
from supervision_schemas.auth import Change, InspectorChanged, InspectorChangedData, StaffStatus
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.scope import INSPECTOR

SOURCE = "/auth-svc"


async def inspector_changed(session: AsyncSession, user: User, change: Change, *, was_inspector: bool = False) -> None:
    """Stage InspectorChanged when the user is (or was, until this change) an inspector of a department."""
    is_inspector = INSPECTOR in user.roles
    if not (is_inspector or was_inspector) or user.department_id is None or user.region_code is None:
        return
    if not is_inspector or user.status != StaffStatus.ACTIVE.value:
        change = Change.DEACTIVATED
    data = InspectorChangedData(
        change=change,
        user_id=user.id,
        name=user.display_name,
        department_id=user.department_id,
        region_code=user.region_code,
        certificate_number=user.certificate_number,
        certificate_valid_from=user.certificate_valid_from,
        certificate_valid_until=user.certificate_valid_until,
        qualifications=list(user.qualifications),
        status=StaffStatus(user.status) if is_inspector else StaffStatus.DISABLED,
        changed_at=utc_now(),
    )
    await outbox.stage(session, InspectorChanged.build(source=SOURCE, subject=str(user.id), data=data))
