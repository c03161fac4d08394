"""Pytest plugin: real servers for tests (the `test` profile), fresh databases, in-process apps.

Enabled by `pytest_plugins = ["svc_runtime.testing"]` in the root conftest. Infrastructure that the
session finds running is reused; what it starts itself it stops at the end.
"""

from __future__ import annotations

import asyncio
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from supervision_schemas.catalog import ItemCreated, ItemCreatedData, ItemType, SupervisionLevel
from svc_runtime.devstack import infra
from svc_runtime.devstack.procs import port_open
from svc_runtime.devstack.topology import Profile, profile
from svc_runtime.kafka import ensure_topics, topic_specs
from svc_runtime.settings import ServiceSettings


@pytest.fixture(scope="session")
def stack() -> Iterator[Profile]:
    """The test profile's PostgreSQL, Redis and Kafka, started if not running."""
    p = profile("test")
    was_running = {
        "postgres": bool(p.external_postgres) or port_open(p.pg_port),
        "redis": port_open(p.redis_port),
        "kafka": bool(p.external_kafka) or port_open(p.kafka_port),
    }
    infra.start_infra(p)
    yield p
    if not was_running["kafka"]:
        infra.stop_kafka(p)
    if not was_running["redis"]:
        infra.stop_redis(p)
    if not was_running["postgres"]:
        infra.stop_postgres(p)


async def _partitions_on_broker(bootstrap: str, topics: Sequence[str]) -> list[TopicPartition]:
    """The topics' partitions as the broker has them (not as the registry says they should be)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described for p in t.get("partitions", [])]


async def _commit_ends(settings: ServiceSettings, group: str, topics: Sequence[str]) -> None:
    await ensure_topics(settings, topic_specs(topics))
    partitions = await _partitions_on_broker(settings.kafka_bootstrap, topics)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp, offset in ends.items():
            consumer.seek(tp, offset)
        # the embedded broker's "end" may name the last record rather than the next offset: read past it
        for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
            ends[tp] = max(ends[tp], records[-1].offset + 1)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def skip_history(
    settings: ServiceSettings, group: str, topics: Sequence[str], *, patience_s: float = 150
) -> None:
    """Commit a consumer group's offsets at the end of its topics: a new deployment that starts from now.

    The shared test broker keeps every event the other suites published (tens of thousands); a fresh
    group would otherwise read all of them before the events of the test. While other suites load the
    broker an offsets request can time out, so each attempt runs on a fresh client and is retried with
    backoff; should the broker never answer, the group reads from the start (slower, just as correct
    when the test's data is unique to the run).
    """
    loop = asyncio.get_running_loop()
    give_up, delay = loop.time() + patience_s, 0.5
    while True:
        try:
            await asyncio.wait_for(_commit_ends(settings, group, topics), timeout=45)
            return
        except (KafkaError, TimeoutError, OSError) as exc:
            if loop.time() + delay > give_up:
                warnings.warn(f"{group} reads its topics from the start: {exc!r}", stacklevel=2)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)


def random_ref(prefix: str) -> str:
    """A name unique to this test run, for anything that escapes rollback (topics, databases, keys)."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def create_database(p: Profile, name: str) -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    admin = p.postgres_url("postgres").replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return p.postgres_url("postgres").rsplit("/", 1)[0] + f"/{name}"


def settings_for(p: Profile, service_name: str, database_url: str, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for a service's Settings pointing at the test profile's servers."""
    values: dict[str, Any] = {
        "service_name": service_name,
        "environment": "test",
        "database_url": database_url,
        "kafka_bootstrap": p.kafka_bootstrap,
        "redis_url": p.redis_url,
        "auth_issuer": p.issuer,
        "broker_check_interval_s": 0.5,
    }
    values.update(overrides)
    return values


class _WithState:
    """ASGI wrapper that hands the lifespan state to each request, as a server would."""

    def __init__(self, app: FastAPI, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(self.state)
        await self.app(scope, receive, send)


@asynccontextmanager
async def serve_in_process(app: FastAPI, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield an httpx client bound to it (no network)."""
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=_WithState(app, dict(state or {})))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def eventually(check: Any, *, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Await `check()` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


class TestIssuer:
    """A real token issuer for service tests: an RSA key whose JWKS is served over HTTP on 127.0.0.1."""

    __test__ = False  # not a test class

    def __init__(self, issuer: str, audience: str = "supervision-platform") -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.issuer = issuer
        self.audience = audience
        self.kid = uuid.uuid4().hex[:16]
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server: Any = None
        self.jwks_url = ""

    def jwks(self) -> dict[str, Any]:
        import json

        import jwt

        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def start(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        body = json.dumps(self.jwks()).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def token(
        self,
        subject: str = "test-client",
        *,
        scopes: tuple[str, ...] = (),
        roles: tuple[str, ...] = ("platform_admin",),
        ttl_s: int = 600,
        **claims: Any,
    ) -> str:
        import time

        import jwt

        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "client_id": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            "scope": " ".join(scopes),
            "roles": list(roles),
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="session")
def test_issuer(stack: Profile) -> Iterator[TestIssuer]:
    """Signs tokens the way auth-svc does; services under test fetch its JWKS over HTTP."""
    issuer = TestIssuer(stack.issuer)
    issuer.start()
    yield issuer
    issuer.stop()


def sample_item_created(i: int) -> ItemCreated:
    """A valid catalog ItemCreated event (item number `i`), for tests and benchmarks of the event plumbing."""
    item_id = uuid.uuid4()
    return ItemCreated.build(
        source="/bench",
        subject=str(item_id),
        data=ItemCreatedData(
            item_id=item_id,
            code=f"{34160000000000 + i}",
            name=f"基准测试监管事项 {i}",
            item_type=ItemType.ADMINISTRATIVE_INSPECTION,
            supervision_level=SupervisionLevel.CITY,
            implementing_department="亳州市市场监督管理局",
            region_code="341600",
            legal_basis="《中华人民共和国行政许可法》第六十一条",
            created_at=datetime.now(UTC),
        ),
    )
