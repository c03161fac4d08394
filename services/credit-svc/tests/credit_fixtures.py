"""Fixtures of credit-svc's tests, loaded with `pytest_plugins = ["credit_fixtures"]` (no conftest name clash)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from credit_helpers import Credit

from credit_svc.main import create_app
from credit_svc.objects.consumers import InputConsumer
from credit_svc.settings import CreditSettings
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for, skip_history


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def credit(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Credit]:
    """credit-svc in process on a fresh database, with its consumer (own group), relay and job runner."""
    url = await create_database(stack, random_ref("credit"))
    settings = CreditSettings(
        **settings_for(
            stack,
            "credit-svc",
            url,
            auth_jwks_url=test_issuer.jwks_url,
            credit_job_poll_interval_s=0.2,
        )
    )
    group = random_ref("credit.inputs")
    await skip_history(settings, group, InputConsumer(settings, group=group).subscription().topics)
    async with serve_in_process(create_app(settings, group=group)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        yield Credit(client, url, settings, test_issuer)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def credit_quiet(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Credit]:
    """credit-svc in process without background workers (API only; no consumer, relay or jobs)."""
    url = await create_database(stack, random_ref("credit"))
    settings = CreditSettings(
        **settings_for(stack, "credit-svc", url, auth_jwks_url=test_issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_app(settings)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        yield Credit(client, url, settings, test_issuer)
