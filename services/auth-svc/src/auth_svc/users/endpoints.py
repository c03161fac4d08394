"""Staff accounts: administration within the caller's data scope, invitations and the caller's own TOTP."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from auth_svc.access import AuditDep, Manager
from auth_svc.auth import LocalPrincipal
from auth_svc.dependencies import SettingsDep
from auth_svc.users import staff
from auth_svc.users.models import User
from auth_svc.users.schemas import (
    InvitationAccept,
    PasswordReset,
    RolesUpdate,
    TotpCode,
    TotpEnrolment,
    UserCreate,
    UserCreated,
    UserRead,
    UserUpdate,
)
from supervision_schemas.auth import StaffStatus
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.scope import DataScopeDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=Page[UserRead])
async def list_users(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    department_id: uuid.UUID | None = None,
    region_code: str | None = None,
    role: str | None = None,
    status: StaffStatus | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Part of the user or display name, or a certificate number.")
    ] = None,
    sort: Annotated[str | None, Query(description="username, display_name, created_at; '-' for descending.")] = None,
) -> Page[UserRead]:
    """List the staff within the caller's data scope."""
    statement = staff.users_query(
        department_id=department_id, region_code=region_code, role=role, status=status.value if status else None, q=q
    )
    statement = scope.filter(statement, region=User.region_code, department=User.department_id)
    columns: dict[str, Any] = {
        "username": User.username,
        "display_name": User.display_name,
        "created_at": User.created_at,
    }
    items, total = await paginate(session, statement.order_by(*order_by(sort, columns, "username")), pagination)
    return Page[UserRead](
        items=[UserRead.model_validate(i) for i in items], total=total, page=pagination.page, limit=pagination.limit
    )


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> UserCreated:
    """Create a staff account with an initial password, or an invitation when no password is given."""
    user, token = await staff.create_user(session, auditor, scope, body)
    return UserCreated.model_validate({**UserRead.model_validate(user).model_dump(), "invitation_token": token})


@router.post("/invitations/accept", response_model=UserRead)
async def accept_invitation(body: InvitationAccept, session: SessionDep) -> User:
    """Set the first password with an invitation token (public: the token is the proof)."""
    return await staff.accept_invitation(session, body)


@router.get("/me", response_model=UserRead)
async def read_me(session: SessionDep, principal: LocalPrincipal) -> User:
    """Read the caller's own account."""
    return await staff.current_user(session, principal)


@router.post("/me/totp", response_model=TotpEnrolment, status_code=status.HTTP_201_CREATED)
async def start_totp(
    session: SessionDep, principal: LocalPrincipal, auditor: AuditDep, settings: SettingsDep
) -> TotpEnrolment:
    """Start enrolling an authenticator app: returns its secret once; confirm with a code to enable it."""
    user = await staff.current_user(session, principal)
    secret, uri = await staff.start_totp(session, auditor, settings, user)
    return TotpEnrolment(secret=secret, provisioning_uri=uri)


@router.post("/me/totp/confirm", response_model=UserRead)
async def confirm_totp(
    body: TotpCode, session: SessionDep, principal: LocalPrincipal, auditor: AuditDep, settings: SettingsDep
) -> User:
    """Enable the second factor with a code from the enrolled app."""
    user = await staff.current_user(session, principal)
    return await staff.confirm_totp(session, auditor, settings, user, body.code)


@router.post("/me/totp/disable", response_model=UserRead)
async def disable_totp(
    body: TotpCode, session: SessionDep, principal: LocalPrincipal, auditor: AuditDep, settings: SettingsDep
) -> User:
    """Turn the second factor off (a current code is required)."""
    user = await staff.current_user(session, principal)
    return await staff.disable_totp(session, auditor, settings, user, body.code)


@router.get("/{user_id}", response_model=UserRead)
async def get_user(user_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> User:
    """Read one staff account."""
    return await staff.get_readable(session, scope, user_id)


@router.patch("/{user_id}", response_model=UserRead)
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> User:
    """Change a staff account's details, department or inspector certificate and qualifications."""
    return await staff.update_user(session, auditor, scope, user_id, body)


@router.put("/{user_id}/roles", response_model=UserRead)
async def set_roles(
    user_id: uuid.UUID,
    body: RolesUpdate,
    session: SessionDep,
    _manager: Manager,
    scope: DataScopeDep,
    auditor: AuditDep,
) -> User:
    """Replace a staff account's roles (platform_admin, auditor and agency_system only by platform administrators)."""
    return await staff.set_roles(session, auditor, scope, user_id, body)


@router.post("/{user_id}/disable", response_model=UserRead)
async def disable_user(
    user_id: uuid.UUID, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> User:
    """Disable an account (it can no longer sign in)."""
    return await staff.set_status(session, auditor, scope, user_id, StaffStatus.DISABLED)


@router.post("/{user_id}/enable", response_model=UserRead)
async def enable_user(
    user_id: uuid.UUID, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> User:
    """Enable a disabled account again (and clear its lockout)."""
    return await staff.set_status(session, auditor, scope, user_id, StaffStatus.ACTIVE)


@router.post("/{user_id}/leave", response_model=UserRead)
async def mark_left(
    user_id: uuid.UUID, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> User:
    """Mark that the person has left (final: the account cannot be enabled again)."""
    return await staff.set_status(session, auditor, scope, user_id, StaffStatus.LEFT)


@router.post("/{user_id}/password", response_model=UserRead)
async def reset_password(
    user_id: uuid.UUID,
    body: PasswordReset,
    session: SessionDep,
    _manager: Manager,
    scope: DataScopeDep,
    auditor: AuditDep,
) -> User:
    """Set a new password for an account (and clear its lockout)."""
    return await staff.reset_password(session, auditor, scope, user_id, body.password)


@router.post("/{user_id}/unlock", response_model=UserRead)
async def unlock_user(
    user_id: uuid.UUID, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> User:
    """Clear an account's lockout after failed logins."""
    return await staff.unlock(session, auditor, scope, user_id)


@router.delete("/{user_id}/totp", response_model=UserRead)
async def reset_totp(
    user_id: uuid.UUID, session: SessionDep, _manager: Manager, scope: DataScopeDep, auditor: AuditDep
) -> User:
    """Remove an account's second factor (lost device)."""
    return await staff.reset_totp(session, auditor, scope, user_id)
