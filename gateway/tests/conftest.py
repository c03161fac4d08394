"""Fixtures: three real upstream services, a JWKS, real Redis, and gateways (all up; one service down; tight limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from gw_support import AUDIENCE, ISSUER, Keys, ServerThread, Upstream, closed_port_url

from gateway.main import create_app
from gateway.settings import GatewaySettings
from svc_runtime.devstack.topology import Profile
from svc_runtime.testing import random_ref

MAX_BODY = 200_000
WEB_ORIGIN = "https://console.example.gov.cn"
# Rates of the `limited` gateway: slow enough that a burst of requests on a busy machine does not
# refill a bucket before it runs dry, fast enough to see a refill within a test.
CLIENT_RATE, CLIENT_BURST = 0.2, 6  # slow refills: a loaded CI machine must not refill mid-test
USER_RATE, USER_BURST = 0.5, 3
IP_RATE, IP_BURST = 0.5, 2


@dataclass
class Suite:
    keys: Keys
    upstreams: dict[str, Upstream]
    urls: dict[str, str]
    redis_url: str


@pytest.fixture(scope="session")
def suite(stack: Profile) -> Iterator[Suite]:
    keys = Keys.generate()
    upstreams = {"catalog": Upstream("catalog"), "credit": Upstream("credit"), "auth": Upstream("auth", keys=keys)}
    servers = {name: ServerThread(u.app).start() for name, u in upstreams.items()}
    yield Suite(keys, upstreams, {name: s.url for name, s in servers.items()}, stack.redis_url)
    for server in servers.values():
        server.stop()


def gateway_settings(suite: Suite, **overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "environment": "test",
        "service_urls": suite.urls,
        "auth_issuer": ISSUER,
        "auth_audience": AUDIENCE,
        "auth_jwks_url": f"{suite.urls['auth']}/.well-known/jwks.json",
        "max_body_bytes": MAX_BODY,
        "upstream_timeout_s": 0.5,
        "readiness_cache_s": 0.0,
        "openapi_refresh_s": 0.0,
        "log_level": "WARNING",
        "redis_url": suite.redis_url,
        "rate_limit_key_prefix": f"{random_ref('gwtest')}:",  # buckets of earlier runs do not leak in
        # The shared gateways limit too (one Redis round trip per request), but far above what tests send.
        "rate_limit_client_per_s": 100_000,
        "rate_limit_client_burst": 100_000,
        "rate_limit_user_per_s": 100_000,
        "rate_limit_user_burst": 100_000,
        "rate_limit_ip_per_s": 100_000,
        "rate_limit_ip_burst": 100_000,
        "cors_allowed_origins": [WEB_ORIGIN],
    }
    values.update(overrides)
    return GatewaySettings.model_validate(values)


@pytest.fixture(scope="session")
def gateway_url(suite: Suite) -> Iterator[str]:
    server = ServerThread(create_app(gateway_settings(suite)), uvloop=True).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def degraded_gateway_url(suite: Suite) -> Iterator[str]:
    """A gateway that also routes to `risk`, where nothing listens."""
    urls = {**suite.urls, "risk": closed_port_url()}
    server = ServerThread(create_app(gateway_settings(suite, service_urls=urls)), uvloop=True).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def limited_gateway_url(suite: Suite) -> Iterator[str]:
    """A gateway with small per-client, per-user and per-IP limits."""
    settings = gateway_settings(
        suite,
        rate_limit_client_per_s=CLIENT_RATE,
        rate_limit_client_burst=CLIENT_BURST,
        rate_limit_client_overrides={"big-client": [1000, 1000]},
        rate_limit_user_per_s=USER_RATE,
        rate_limit_user_burst=USER_BURST,
        rate_limit_ip_per_s=IP_RATE,
        rate_limit_ip_burst=IP_BURST,
    )
    server = ServerThread(create_app(settings), uvloop=True).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def no_redis_gateway_url(suite: Suite) -> Iterator[str]:
    """A gateway whose Redis does not answer (nothing listens on its port)."""
    dead = closed_port_url().replace("http://", "redis://") + "/0"
    settings = gateway_settings(suite, redis_url=dead, rate_limit_client_per_s=1, rate_limit_client_burst=1)
    server = ServerThread(create_app(settings), uvloop=True).start()
    yield server.url
    server.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def limited(limited_gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=limited_gateway_url, timeout=10.0) as c:
        yield c


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def client(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10.0) as c:
        yield c


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def degraded(degraded_gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=degraded_gateway_url, timeout=10.0) as c:
        yield c


@pytest.fixture
def auth(suite: Suite) -> dict[str, str]:
    return {"Authorization": f"Bearer {suite.keys.token()}"}
