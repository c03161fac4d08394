"""Staff administration: accounts in departments, roles (with who-may-grant-what), status, invitations, TOTP."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc import hashing
from auth_svc.access import Auditor
from auth_svc.org import service as org_service
from auth_svc.org.models import DepartmentStatus
from auth_svc.settings import AuthSettings
from auth_svc.users import events, totp
from auth_svc.users.models import User
from auth_svc.users.schemas import InvitationAccept, RolesUpdate, UserCreate, UserUpdate
from supervision_schemas.auth import Change, StaffStatus
from svc_runtime.auth import Principal
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, Forbidden, NotFound, Problem, Unauthorized
from svc_runtime.scope import AGENCY_SYSTEM, AUDITOR, INSPECTOR, PLATFORM_ADMIN, DataScope, OutOfScope

INVITATION_TTL = timedelta(days=7)
# Roles only a platform administrator may grant or take away: the platform itself, the auditors who
# watch administrators (separation of duties), and machine identities.
PLATFORM_GRANTED_ROLES = frozenset({PLATFORM_ADMIN, AUDITOR, AGENCY_SYSTEM})


class UserNotFound(NotFound):
    title = "User not found"


class InvalidUserChange(Problem):
    status = 422
    title = "Invalid user change"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def users_query(
    *,
    department_id: uuid.UUID | None = None,
    region_code: str | None = None,
    role: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Select[User]:
    statement = select(User)
    if department_id is not None:
        statement = statement.where(User.department_id == department_id)
    if region_code is not None:
        statement = statement.where(User.region_code == region_code)
    if role is not None:
        statement = statement.where(User.roles.any(role))  # type: ignore[arg-type]  # ARRAY comparator: value = ANY(column)
    if status is not None:
        statement = statement.where(User.status == status)
    if q:
        statement = statement.where(
            or_(
                User.username.contains(q, autoescape=True),
                User.display_name.contains(q, autoescape=True),
                User.certificate_number == q,
            )
        )
    return statement


async def get_readable(session: AsyncSession, scope: DataScope, user_id: uuid.UUID) -> User:
    """The user if the caller may see them (otherwise 404, so ids outside the scope reveal nothing)."""
    user = await session.get(User, user_id)
    if user is None or not scope.can_read(region_code=user.region_code, department_id=user.department_id):
        raise UserNotFound(f"user {user_id} does not exist")
    if not scope.unrestricted and user.region_code is None:
        raise UserNotFound(f"user {user_id} does not exist")
    return user


def check_manage(scope: DataScope, user: User) -> None:
    """The caller may change this account: platform admins any; others only staff of their own department."""
    if scope.unrestricted:
        return
    if PLATFORM_ADMIN in user.roles or user.department_id is None:
        raise OutOfScope("only platform administrators manage platform-wide accounts")
    scope.check_write(region_code=user.region_code, department_id=user.department_id)


def check_grant(principal: Principal, old: set[str], new: set[str]) -> None:
    changed = old ^ new
    if PLATFORM_ADMIN not in principal.roles and changed & PLATFORM_GRANTED_ROLES:
        raise Forbidden(
            f"only platform administrators grant or remove {', '.join(sorted(changed & PLATFORM_GRANTED_ROLES))}"
        )


def _is_self(principal: Principal, user: User) -> bool:
    return principal.subject == str(user.id)


async def _flush(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("the user name or certificate number is already taken") from exc


async def _placement(
    session: AsyncSession, department_id: uuid.UUID | None, region_code: str | None
) -> tuple[uuid.UUID | None, str | None]:
    if department_id is None:
        return None, region_code
    department = await org_service.get_department(session, department_id)
    if department.status != DepartmentStatus.ACTIVE.value:
        raise InvalidUserChange("the department is inactive")
    if region_code is not None and region_code != department.region_code:
        raise InvalidUserChange(f"region {region_code} differs from the department's region {department.region_code}")
    return department.id, department.region_code


def _audit_scope(user: User) -> dict[str, Any]:
    return {"region_code": user.region_code, "department_id": user.department_id}


async def create_user(
    session: AsyncSession, auditor: Auditor, scope: DataScope, body: UserCreate
) -> tuple[User, str | None]:
    """Create an account with an initial password, or an invitation (the token is returned once)."""
    department_id, region_code = await _placement(session, body.department_id, body.region_code)
    if department_id is None and not scope.unrestricted:
        raise OutOfScope("only platform administrators create accounts outside a department")
    if department_id is None and set(body.roles) - {PLATFORM_ADMIN, AUDITOR, "leader"}:
        raise InvalidUserChange("staff with these roles must belong to a department")
    scope.check_write(region_code=region_code, department_id=department_id)
    check_grant(scope.principal, set(), set(body.roles))
    user = User(
        id=uuid.uuid4(),
        username=body.username,
        display_name=body.display_name,
        department_id=department_id,
        region_code=region_code,
        roles=sorted(set(body.roles)),
        status=StaffStatus.ACTIVE.value,
        email=body.email,
        phone=body.phone,
        failed_logins=0,
        certificate_number=body.certificate_number,
        certificate_valid_from=body.certificate_valid_from,
        certificate_valid_until=body.certificate_valid_until,
        qualifications=list(dict.fromkeys(body.qualifications or [])),
    )
    token: str | None = None
    if body.password is not None:
        user.password_hash = await hashing.hash_password(body.password)
    else:
        token = secrets.token_urlsafe(32)
        user.invite_token_hash = _token_hash(token)
        user.invite_expires_at = utc_now() + INVITATION_TTL
    session.add(user)
    await _flush(session)
    await events.inspector_changed(session, user, Change.CREATED)
    await auditor.record(
        "user.created",
        "user",
        user.id,
        **_audit_scope(user),
        username=user.username,
        roles=user.roles,
        invited=token is not None,
    )
    return user, token


_INSPECTOR_FIELDS = ("certificate_number", "certificate_valid_from", "certificate_valid_until", "qualifications")


async def update_user(
    session: AsyncSession, auditor: Auditor, scope: DataScope, user_id: uuid.UUID, body: UserUpdate
) -> User:
    user = await get_readable(session, scope, user_id)
    check_manage(scope, user)
    changes = body.model_dump(exclude_unset=True)
    if "display_name" in changes and changes["display_name"] is None:
        raise InvalidUserChange("display_name cannot be null")
    if "qualifications" in changes:
        changes["qualifications"] = list(dict.fromkeys(changes["qualifications"] or []))
    moved = "department_id" in changes and changes["department_id"] != user.department_id
    if moved:
        if changes["department_id"] is None:
            raise InvalidUserChange("department_id cannot be removed")
        department_id, region_code = await _placement(session, changes["department_id"], None)
        scope.check_write(region_code=region_code, department_id=department_id)
        changes["region_code"] = region_code
    changed = {k: v for k, v in changes.items() if getattr(user, k) != v}
    if not changed:
        return user
    for key, value in changed.items():
        setattr(user, key, value)
    await _flush(session)
    await events.inspector_changed(session, user, Change.MOVED if moved else Change.UPDATED)
    await auditor.record("user.updated", "user", user.id, **_audit_scope(user), changes=changed)
    return user


async def set_roles(
    session: AsyncSession, auditor: Auditor, scope: DataScope, user_id: uuid.UUID, body: RolesUpdate
) -> User:
    user = await get_readable(session, scope, user_id)
    check_manage(scope, user)
    if _is_self(scope.principal, user):
        raise Forbidden("you cannot change your own roles")
    old, new = set(user.roles), set(body.roles)
    check_grant(scope.principal, old, new)
    if user.department_id is None and new - {PLATFORM_ADMIN, AUDITOR, "leader"}:
        raise InvalidUserChange("staff with these roles must belong to a department")
    if old == new:
        return user
    user.roles = sorted(new)
    await session.flush()
    await events.inspector_changed(session, user, Change.UPDATED, was_inspector=INSPECTOR in old)
    await auditor.record(
        "user.roles_changed",
        "user",
        user.id,
        **_audit_scope(user),
        granted=sorted(new - old),
        revoked=sorted(old - new),
    )
    return user


async def set_status(
    session: AsyncSession, auditor: Auditor, scope: DataScope, user_id: uuid.UUID, status: StaffStatus
) -> User:
    user = await get_readable(session, scope, user_id)
    check_manage(scope, user)
    if _is_self(scope.principal, user) and status is not StaffStatus.ACTIVE:
        raise Forbidden("you cannot disable your own account")
    if user.status == status.value:
        return user
    if user.status == StaffStatus.LEFT.value:
        raise Conflict("the person has left; create a new account if they return")
    before = user.status
    user.status = status.value
    if status is StaffStatus.ACTIVE:
        user.failed_logins, user.locked_until = 0, None
    await session.flush()
    change = Change.UPDATED if status is StaffStatus.ACTIVE else Change.DEACTIVATED
    await events.inspector_changed(session, user, change)
    action = {StaffStatus.ACTIVE: "user.enabled", StaffStatus.DISABLED: "user.disabled", StaffStatus.LEFT: "user.left"}
    await auditor.record(action[status], "user", user.id, **_audit_scope(user), before=before)
    return user


async def reset_password(
    session: AsyncSession, auditor: Auditor, scope: DataScope, user_id: uuid.UUID, password: str
) -> User:
    user = await get_readable(session, scope, user_id)
    check_manage(scope, user)
    user.password_hash = await hashing.hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.invite_token_hash, user.invite_expires_at = None, None
    await session.flush()
    await auditor.record("user.password_reset", "user", user.id, **_audit_scope(user))
    return user


async def unlock(session: AsyncSession, auditor: Auditor, scope: DataScope, user_id: uuid.UUID) -> User:
    user = await get_readable(session, scope, user_id)
    check_manage(scope, user)
    user.failed_logins, user.locked_until = 0, None
    await session.flush()
    await auditor.record("user.unlocked", "user", user.id, **_audit_scope(user))
    return user


async def reset_totp(session: AsyncSession, auditor: Auditor, scope: DataScope, user_id: uuid.UUID) -> User:
    """Remove a user's second factor (lost device); they may enrol again."""
    user = await get_readable(session, scope, user_id)
    check_manage(scope, user)
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    await session.flush()
    await auditor.record("user.totp_reset", "user", user.id, **_audit_scope(user))
    return user


class InvalidInvitation(Unauthorized):
    title = "Invalid invitation"


async def accept_invitation(session: AsyncSession, body: InvitationAccept) -> User:
    """Set the first password of an invited account (no bearer token: the invitation token proves it)."""
    user = await session.scalar(select(User).where(User.username == body.username).with_for_update())
    expected = user.invite_token_hash if user is not None else None
    valid = (
        user is not None
        and expected is not None
        and hmac.compare_digest(expected, _token_hash(body.token))
        and user.invite_expires_at is not None
        and user.invite_expires_at > utc_now()
        and user.status == StaffStatus.ACTIVE.value
    )
    if not valid or user is None:
        raise InvalidInvitation("the invitation is not valid or has expired")
    user.password_hash = await hashing.hash_password(body.password)
    user.invite_token_hash, user.invite_expires_at = None, None
    await session.flush()
    return user


async def current_user(session: AsyncSession, principal: Principal) -> User:
    """The account of the token's subject (client tokens have none)."""
    try:
        user_id = uuid.UUID(principal.subject)
    except ValueError:
        raise UserNotFound("this token does not belong to a user account") from None
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound("this token does not belong to a user account")
    return user


async def start_totp(session: AsyncSession, auditor: Auditor, settings: AuthSettings, user: User) -> tuple[str, str]:
    if user.totp_enabled:
        raise Conflict("a second factor is already enabled; disable it first")
    secret = totp.new_secret()
    user.totp_secret = totp.encrypt(settings, secret)
    user.totp_enabled_at, user.totp_last_step = None, None
    await session.flush()
    await auditor.record("user.totp_enrolment_started", "user", user.id, **_audit_scope(user))
    return secret, totp.provisioning_uri(secret, user.username)


class InvalidTotpCode(Problem):
    status = 422
    title = "Invalid one-time code"


async def confirm_totp(session: AsyncSession, auditor: Auditor, settings: AuthSettings, user: User, code: str) -> User:
    if user.totp_enabled:
        raise Conflict("the second factor is already enabled")
    secret = totp.decrypt(settings, user.totp_secret) if user.totp_secret else None
    if secret is None:
        raise Conflict("start the enrolment first")
    step = totp.verify(secret, code, last_step=None)
    if step is None:
        raise InvalidTotpCode("the code does not match; check the device's clock")
    user.totp_enabled_at, user.totp_last_step = utc_now(), step
    await session.flush()
    await auditor.record("user.totp_enabled", "user", user.id, **_audit_scope(user))
    return user


async def disable_totp(session: AsyncSession, auditor: Auditor, settings: AuthSettings, user: User, code: str) -> User:
    if not user.totp_enabled or user.totp_secret is None:
        raise Conflict("no second factor is enabled")
    secret = totp.decrypt(settings, user.totp_secret)
    step = totp.verify(secret, code, last_step=user.totp_last_step) if secret else None
    if step is None:
        raise InvalidTotpCode("the code does not match")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, None
    await session.flush()
    await auditor.record("user.totp_disabled", "user", user.id, **_audit_scope(user))
    return user
