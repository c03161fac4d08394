"""Fixtures of datahub-svc's tests, loaded with `pytest_plugins = ["datahub_fixtures"]` (no conftest name clash)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from datahub_helpers import Hub

from datahub_svc.main import create_app
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def hub(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Hub]:
    """datahub-svc in process on a fresh database (no background relay or consumers)."""
    url = await create_database(stack, random_ref("datahub"))
    settings = ServiceSettings(
        **settings_for(stack, "datahub-svc", url, auth_jwks_url=test_issuer.jwks_url, run_background_workers=False)
    )
    engine = create_engine(url, pool_size=2)
    async with serve_in_process(create_app(settings)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        yield Hub(client, url, engine, test_issuer)
    await engine.dispose()
