"""SSO sessions: started at login, found by the sso_session cookie, ended at logout (with their grants)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_svc.sessions.models import SsoSession
from auth_svc.tokens import service as token_service
from auth_svc.users.models import User
from svc_runtime.db import utc_now

COOKIE_NAME = "sso_session"


async def start(
    session: AsyncSession,
    *,
    user: User,
    amr: Sequence[str],
    ttl_s: int,
    client_ip: str | None,
    user_agent: str | None,
) -> tuple[SsoSession, str]:
    """A new SSO session and the secret for its cookie (a fresh one at every login: no session fixation)."""
    secret = token_service.new_secret()
    now = utc_now()
    sso = SsoSession(
        id=uuid.uuid4(),
        secret_hash=token_service.digest(secret),
        user_id=user.id,
        auth_time=now,
        amr=list(amr),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        client_ip=client_ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(sso)
    await session.flush()
    return sso, secret


async def find_active(session: AsyncSession, cookie: str | None) -> tuple[SsoSession, User] | None:
    """The live session a cookie refers to and its user, if the session has not ended and the user may sign in."""
    if not cookie or len(cookie) > 100:
        return None
    row = (
        await session.execute(
            select(SsoSession, User)
            .join(User, User.id == SsoSession.user_id)
            .where(
                SsoSession.secret_hash == token_service.digest(cookie),
                SsoSession.ended_at.is_(None),
                SsoSession.expires_at > utc_now(),
            )
        )
    ).first()
    if row is None or not row[1].is_active:
        return None
    return row[0], row[1]


async def get_by_sid(session: AsyncSession, sid: str) -> SsoSession | None:
    """A session by its `sid` claim (the row id)."""
    try:
        session_id = uuid.UUID(sid)
    except ValueError:
        return None
    return await session.get(SsoSession, session_id)


async def end(session: AsyncSession, sso: SsoSession, *, reason: str = "logout") -> None:
    """End the session and revoke every grant made in it (refresh tokens and their access tokens)."""
    if sso.ended_at is None:
        sso.ended_at = utc_now()
    await token_service.revoke_session_families(session, sso.id, reason=reason)
    await session.flush()


def remaining_s(sso: SsoSession, now: datetime | None = None) -> int:
    return max(0, int((sso.expires_at - (now or utc_now())).total_seconds()))
