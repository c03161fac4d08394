"""Users: look-up, bootstrap seeding, password login (lockout, TOTP) and the claims a user's tokens carry."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from auth_svc import hashing
from auth_svc.settings import AuthSettings
from auth_svc.users import totp
from auth_svc.users.models import User
from supervision_schemas.auth import StaffStatus
from svc_runtime.db import utc_now
from svc_runtime.problems import Unauthorized

_log = logging.getLogger("auth_svc.users")

GENERIC_LOGIN_FAILURE = "invalid username or password"


class LoginFailed(Unauthorized):
    """A refused login; `code` tells the login page what to show (never which part was wrong)."""

    title = "Login failed"
    code = "invalid_credentials"

    def __init__(self, detail: str = GENERIC_LOGIN_FAILURE) -> None:
        super().__init__(detail, code=self.code)


class InvalidCredentials(LoginFailed):
    """Unknown user, wrong password, disabled or departed user, or locked account: one message for all."""


class TotpRequired(LoginFailed):
    """The password was right and the account has a second factor: ask for the code."""

    code = "totp_required"

    def __init__(self) -> None:
        super().__init__("a one-time code from your authenticator app is required")


class InvalidTotp(LoginFailed):
    """The password was right but the one-time code was wrong, expired or already used."""

    code = "invalid_totp"

    def __init__(self) -> None:
        super().__init__("the one-time code is not valid")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> LoginPolicy:
        return cls(settings.auth_login_max_failures, timedelta(minutes=settings.auth_login_lockout_minutes))


_installed_settings: AuthSettings | None = None


def use_settings(settings: AuthSettings) -> None:
    """Make these the settings `authenticate` uses when none are passed (done by the app at start-up)."""
    global _installed_settings
    _installed_settings = settings


def _settings(settings: AuthSettings | None) -> AuthSettings:
    if settings is not None:
        return settings
    if _installed_settings is None:
        raise RuntimeError("auth_svc.users.service.use_settings() was not called")
    return _installed_settings


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def upsert_with_password(
    session: AsyncSession, *, username: str, display_name: str, password: str, roles: Sequence[str]
) -> User:
    """Create or update a user; the password is re-hashed only when it changed."""
    user = await get_by_username(session, username)
    if user is None:
        user = User(username=username, status=StaffStatus.ACTIVE.value, failed_logins=0, qualifications=[])
        session.add(user)
    if (
        user.password_hash is None
        or hashing.password_needs_rehash(user.password_hash)
        or not await hashing.verify_password(user.password_hash, password)
    ):
        user.password_hash = await hashing.hash_password(password)
    user.display_name = display_name
    user.roles = list(roles)
    user.status = StaffStatus.ACTIVE.value
    await session.flush()
    return user


@contextlib.asynccontextmanager
async def _own_transaction(session: AsyncSession) -> AsyncIterator[AsyncConnection]:
    """A short transaction of its own on the session's engine, committed at once.

    Failed logins must be counted although the request's transaction is rolled back by the
    refusal. (A session bound to one connection, as in some tests, gets its own connection.)
    """
    bind = session.bind
    if isinstance(bind, AsyncEngine):
        async with bind.begin() as connection:
            yield connection
    else:
        yield await session.connection()


async def _record_failure(session: AsyncSession, user_id: uuid.UUID, policy: LoginPolicy) -> datetime | None:
    """Count a failed login in its own transaction; returns the end of the lock if this failure locked it.

    The increment is one UPDATE, so concurrent failures all count. Reaching the limit locks the
    account and starts a fresh count for after the lock.
    """
    locks = User.failed_logins + 1 >= policy.max_failures
    statement = (
        update(User)
        .where(User.id == user_id)
        .values(
            failed_logins=case((locks, 0), else_=User.failed_logins + 1),
            locked_until=case((locks, utc_now() + policy.lockout), else_=User.locked_until),
        )
        .returning(User.locked_until, locks.label("locked"))
    )
    async with _own_transaction(session) as connection:
        row = (await connection.execute(statement)).one()
    return row.locked_until if row.locked else None


_LOGIN_COLUMNS = (
    User.id,
    User.password_hash,
    User.status,
    User.locked_until,
    User.totp_secret,
    User.totp_enabled_at,
    User.totp_last_step,
)


async def authenticate(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    totp_code: str | None,
    client_ip: str | None,
    settings: AuthSettings | None = None,
) -> User:
    """The user these credentials belong to, or a LoginFailed (401) problem.

    Unknown user, wrong password, disabled or departed user and locked account all give the same
    InvalidCredentials, after the same argon2 work (a dummy hash is checked when there is nothing
    to check), so neither the message nor the timing tells them apart. Only after a correct
    password does an account with TOTP answer TotpRequired or InvalidTotp. Wrong passwords and
    codes count towards the lockout (in their own committed transaction); success resets the
    count. Hashing runs in a worker thread, and no database connection is held while it runs:
    the account is read in a short transaction of its own and loaded into `session` only on success.
    """
    settings = _settings(settings)
    policy = LoginPolicy.from_settings(settings)
    now = utc_now()
    async with _own_transaction(session) as connection:
        account = (await connection.execute(select(*_LOGIN_COLUMNS).where(User.username == username))).first()
    if account is None or account.password_hash is None:
        await hashing.verify_password(None, password)
        _log.info("login refused: unknown user", extra={"client_ip": client_ip})
        raise InvalidCredentials()
    if account.locked_until is not None and account.locked_until > now:
        await hashing.verify_password(None, password)
        _log.info("login refused: locked", extra={"user_id": str(account.id), "client_ip": client_ip})
        raise InvalidCredentials()
    if not await hashing.verify_password(account.password_hash, password):
        locked_until = await _record_failure(session, account.id, policy)
        if locked_until is not None:
            _log.warning(
                "account locked after failed logins",
                extra={"user_id": str(account.id), "client_ip": client_ip, "locked_until": locked_until.isoformat()},
            )
        raise InvalidCredentials()
    if account.status != StaffStatus.ACTIVE.value:
        _log.info("login refused: account not active", extra={"user_id": str(account.id), "client_ip": client_ip})
        raise InvalidCredentials()
    step: int | None = None
    if account.totp_enabled_at is not None and account.totp_secret is not None:
        if not totp_code:
            raise TotpRequired()
        secret = totp.decrypt(settings, account.totp_secret)
        step = totp.verify(secret, totp_code, last_step=account.totp_last_step) if secret else None
        if step is None:
            await _record_failure(session, account.id, policy)
            raise InvalidTotp()
    user = await session.get(User, account.id, with_for_update=True, populate_existing=True)
    if user is None:  # deleted meanwhile
        raise InvalidCredentials()
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:  # a concurrent login used the code
            raise InvalidTotp()
        user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if user.password_hash is not None and hashing.password_needs_rehash(user.password_hash):
        user.password_hash = await hashing.hash_password(password)
    await session.flush()
    return user


def claims_for_user(user: User) -> dict[str, Any]:
    """The identity and data-scope claims of a user's tokens (`sub` is the user id)."""
    claims: dict[str, Any] = {
        "sub": str(user.id),
        "preferred_username": user.username,
        "name": user.display_name,
        "roles": list(user.roles),
    }
    if user.region_code is not None:
        claims["region_code"] = user.region_code
    if user.department_id is not None:
        claims["department_id"] = str(user.department_id)
    return claims
