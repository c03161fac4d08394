"""Fixtures and helpers of auth-svc's tests: one database and one in-process app for the whole session.

Test modules load this with `pytest_plugins = ["auth_fixtures"]` rather than through a conftest.py:
conftest modules outside packages all share the module name "conftest", and other suites in the
repository import names from theirs. Fixture names start with "auth" because plugins are global.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
import pytest_asyncio
from auth_helpers import ClientMaker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth_svc import hashing
from auth_svc.clients.models import OAuthClient
from auth_svc.main import create_app
from auth_svc.settings import AuthSettings
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import create_database, random_ref, serve_in_process, settings_for

BOOTSTRAP_CLIENT_ID = "platform-bootstrap"


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def auth_settings(stack: Profile) -> AuthSettings:
    database_url = await create_database(stack, random_ref("auth"))
    return AuthSettings(
        **settings_for(
            stack,
            "auth-svc",
            database_url,
            auth_bootstrap_client_id=BOOTSTRAP_CLIENT_ID,
            auth_bootstrap_client_secret=secrets.token_urlsafe(32),
            auth_bootstrap_admin_password=secrets.token_urlsafe(18),
            run_background_workers=False,
        )
    )


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def auth_http(auth_settings: AuthSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client bound to auth-svc running in process (migrated and bootstrapped)."""
    async with serve_in_process(create_app(auth_settings)) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def auth_engine(auth_settings: AuthSettings, auth_http: httpx.AsyncClient) -> AsyncIterator[AsyncEngine]:
    """Direct access to the service's database (after the app has migrated it)."""
    engine = create_engine(auth_settings.database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def auth_sessionmaker(auth_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(auth_engine)


@pytest.fixture(scope="session")
def auth_bootstrap(auth_settings: AuthSettings) -> tuple[str, str]:
    """(client id, secret) of the bootstrap client, for HTTP Basic."""
    assert auth_settings.auth_bootstrap_client_secret is not None
    return auth_settings.auth_bootstrap_client_id, auth_settings.auth_bootstrap_client_secret.get_secret_value()


@pytest.fixture
def create_auth_client(auth_sessionmaker: async_sessionmaker[AsyncSession]) -> ClientMaker:
    """Register a confidential client directly in the database; returns (client id, secret)."""

    async def create(
        *,
        scopes: Sequence[str] = ("catalog:read", "catalog:write"),
        roles: Sequence[str] = (),
        grant_types: Sequence[str] = ("client_credentials",),
        region_code: str | None = None,
        department_id: str | None = None,
        is_active: bool = True,
    ) -> tuple[str, str]:
        client_id, secret = random_ref("client"), secrets.token_urlsafe(32)
        async with auth_sessionmaker() as session, session.begin():
            session.add(
                OAuthClient(
                    client_id=client_id,
                    name=client_id,
                    secret_hash=await hashing.hash_client_secret(secret),
                    grant_types=list(grant_types),
                    allowed_scopes=list(scopes),
                    roles=list(roles),
                    region_code=region_code,
                    department_id=department_id,
                    is_active=is_active,
                )
            )
        return client_id, secret

    return create
