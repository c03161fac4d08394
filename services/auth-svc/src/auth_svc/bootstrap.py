"""Start-up seeding: the signing key, the bootstrap client and the bootstrap administrator (idempotent)."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.clients import service as client_service
from auth_svc.keys import service as key_service
from auth_svc.scopes import OIDC_SCOPES, PLATFORM_ADMIN_ROLE, SUPPORTED_SCOPES
from auth_svc.settings import AuthSettings
from auth_svc.users import service as user_service

_log = logging.getLogger("auth_svc.bootstrap")
# pg_advisory_xact_lock id: replicas starting together seed one after the other.
_BOOTSTRAP_LOCK_ID = 0x61757468_626F6F74  # "authboot"


async def bootstrap(sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings) -> None:
    """Ensure an active signing key and, when their secrets are configured, the bootstrap client and admin."""
    async with sessionmaker() as session, session.begin():
        await session.execute(select(func.pg_advisory_xact_lock(_BOOTSTRAP_LOCK_ID)))
        key = await key_service.ensure_active(
            session, rotate_after_s=settings.auth_signing_key_rotate_after_s, grace_s=settings.signing_key_grace_s
        )
        seeded: list[str] = []
        if settings.auth_bootstrap_client_secret is not None:
            await client_service.upsert_confidential(
                session,
                client_id=settings.auth_bootstrap_client_id,
                name="Platform bootstrap client",
                secret=settings.auth_bootstrap_client_secret.get_secret_value(),
                grant_types=[client_service.GRANT_CLIENT_CREDENTIALS],
                allowed_scopes=SUPPORTED_SCOPES,
                roles=[PLATFORM_ADMIN_ROLE],
            )
            seeded.append(f"client {settings.auth_bootstrap_client_id}")
        if settings.auth_bootstrap_admin_password is not None:
            await user_service.upsert_with_password(
                session,
                username=settings.auth_bootstrap_admin_username,
                display_name="Platform administrator",
                password=settings.auth_bootstrap_admin_password.get_secret_value(),
                roles=[PLATFORM_ADMIN_ROLE],
            )
            seeded.append(f"user {settings.auth_bootstrap_admin_username}")
        public_clients = (
            (settings.auth_web_console_client_id, "Web console (监管工作平台)", settings.auth_web_console_redirect_uris,
             settings.auth_web_console_post_logout_redirect_uris),
            (settings.auth_mobile_client_id, "Mobile app (移动监管)", settings.auth_mobile_redirect_uris,
             settings.auth_mobile_post_logout_redirect_uris),
        )  # fmt: skip
        for client_id, name, redirect_uris, post_logout_redirect_uris in public_clients:
            if redirect_uris:
                await client_service.upsert_public(
                    session,
                    client_id=client_id,
                    name=name,
                    redirect_uris=redirect_uris,
                    post_logout_redirect_uris=post_logout_redirect_uris,
                    allowed_scopes=[*OIDC_SCOPES, *SUPPORTED_SCOPES],
                )
                seeded.append(f"client {client_id}")
    _log.info("bootstrap done", extra={"active_kid": key.kid, "seeded": seeded})
