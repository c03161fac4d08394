"""Start-up seeding of the signing key, bootstrap client and bootstrap administrator."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc import hashing
from auth_svc.bootstrap import bootstrap
from auth_svc.clients.models import OAuthClient
from auth_svc.keys.models import SigningKey
from auth_svc.scopes import SUPPORTED_SCOPES
from auth_svc.settings import AuthSettings
from auth_svc.users.models import User

pytest_plugins = ["auth_fixtures"]


class TestBootstrap:
    @pytest.mark.asyncio(loop_scope="session")
    async def test_seeds_the_administrator_with_an_argon2_hash(
        self, auth_settings: AuthSettings, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        assert auth_settings.auth_bootstrap_admin_password is not None
        async with auth_sessionmaker() as session:
            admin = await session.scalar(select(User).where(User.username == "admin"))

        assert admin is not None
        assert admin.roles == ["platform_admin"]
        assert admin.password_hash is not None
        assert admin.password_hash.startswith("$argon2id$")
        assert await hashing.verify_password(
            admin.password_hash, auth_settings.auth_bootstrap_admin_password.get_secret_value()
        )
        assert not await hashing.verify_password(admin.password_hash, "wrong")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_seeds_the_client_with_every_scope(
        self, auth_settings: AuthSettings, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with auth_sessionmaker() as session:
            client = await session.scalar(
                select(OAuthClient).where(OAuthClient.client_id == auth_settings.auth_bootstrap_client_id)
            )

        assert client is not None
        assert client.allowed_scopes == list(SUPPORTED_SCOPES)
        assert client.grant_types == ["client_credentials"]
        assert client.secret_hash is not None
        assert client.secret_hash.startswith("$argon2id$")

    @pytest.mark.asyncio(loop_scope="session")
    async def test_running_again_changes_nothing(
        self, auth_settings: AuthSettings, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async def snapshot() -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]], list[str]]:
            async with auth_sessionmaker() as session:
                clients = (await session.execute(select(OAuthClient.client_id, OAuthClient.secret_hash))).all()
                users = (await session.execute(select(User.username, User.password_hash))).all()
                active = (await session.scalars(select(SigningKey.kid).where(SigningKey.active.is_(True)))).all()
            return sorted((c[0], c[1]) for c in clients), sorted((u[0], u[1]) for u in users), list(active)

        before = await snapshot()

        await bootstrap(auth_sessionmaker, auth_settings)

        assert await snapshot() == before
        assert len(before[2]) == 1

    @pytest.mark.asyncio(loop_scope="session")
    async def test_a_changed_secret_replaces_the_hash(
        self, auth_settings: AuthSettings, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        new_secret = secrets.token_urlsafe(32)
        changed = auth_settings.model_copy(
            update={"auth_bootstrap_client_id": "another-bootstrap", "auth_bootstrap_admin_password": None}
        )
        await bootstrap(auth_sessionmaker, changed)
        changed = changed.model_copy(update={"auth_bootstrap_client_secret": SecretStr(new_secret)})

        await bootstrap(auth_sessionmaker, changed)

        async with auth_sessionmaker() as session:
            client = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == "another-bootstrap"))
            admins = await session.scalar(select(func.count()).select_from(User))
        assert client is not None
        assert client.secret_hash is not None
        assert await hashing.verify_client_secret(client.secret_hash, new_secret)
        assert admins == 1


class TestSettings:
    def test_refuses_a_short_client_secret(self) -> None:
        with pytest.raises(ValueError, match="at least 32"):
            AuthSettings(auth_bootstrap_client_secret="short")

    def test_reads_environment_names(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AUTH_BOOTSTRAP_CLIENT_SECRET", "s" * 40)
        monkeypatch.setenv("AUTH_BOOTSTRAP_ADMIN_PASSWORD", "correct horse battery")
        monkeypatch.setenv("AUTH_ACCESS_TOKEN_TTL_S", "600")

        settings = AuthSettings()

        assert settings.auth_bootstrap_client_secret is not None
        assert settings.auth_bootstrap_client_secret.get_secret_value() == "s" * 40
        assert settings.auth_access_token_ttl_s == 600
        assert settings.auth_bootstrap_client_id == "platform-bootstrap"
