"""Fixtures of random-check-svc's tests, loaded with `pytest_plugins = ["rc_fixtures"]`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from rc_helpers import World

from random_check_svc.main import create_app
from random_check_svc.settings import RandomCheckSettings
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for

# A holiday calendar, so that deadlines are seen to skip holidays and count make-up workdays.
CALENDAR = '{"holidays": ["2026-10-01", "2026-10-02", "2026-10-05"], "workdays": ["2026-09-27"]}'


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[World]:
    """random-check-svc in process on a fresh database (no relay or consumers: events are applied directly)."""
    url = await create_database(stack, random_ref("random_check"))
    settings = RandomCheckSettings(
        **settings_for(
            stack,
            "random-check-svc",
            url,
            auth_jwks_url=test_issuer.jwks_url,
            run_background_workers=False,
            workday_calendar=CALENDAR,
            evidence_max_bytes=64 * 1024,
        )
    )
    engine = create_engine(url, pool_size=2)
    async with serve_in_process(create_app(settings)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        yield World(client, url, engine, test_issuer, settings)
    await engine.dispose()
