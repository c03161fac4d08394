"""The whole suite as processes on real servers, driven through the gateway like a client would.

Starts (or reuses) the `test` profile: PostgreSQL, Redis, Kafka, the eight services and the gateway
on 127.0.0.1:18000, exactly as `make up` does for the `dev` profile.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import jwt
import pytest
import pytest_asyncio

from svc_runtime.devstack import stack as suite_stack
from svc_runtime.devstack.procs import port_open
from svc_runtime.devstack.topology import GATEWAY, SERVICES, Profile
from svc_runtime.testing import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

ITEM = {
    "name": "对医疗器械经营企业的监督检查",
    "item_type": "administrative_inspection",
    "supervision_level": "city",
    "implementing_department": "衡阳市市场监督管理局",
    "region_code": "430400",
    "legal_basis": "《医疗器械监督管理条例》第七十条",
}


@pytest.fixture(scope="module")
def suite(stack: Profile) -> Iterator[Profile]:
    """The suite's processes for this module only: they join the same consumer groups as in-process tests."""
    started = [s for s in (*SERVICES, GATEWAY) if not port_open(stack.port(s))]
    suite_stack.up(stack)
    ready = suite_stack.wait_ready(stack, (*SERVICES, GATEWAY), timeout=120)
    assert all(ready.values()), f"not ready: {[n for n, ok in ready.items() if not ok]}; logs in {stack.logs}"
    yield stack
    for svc in started:
        suite_stack.stop(svc.name, stack.pids)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(suite: Profile) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=suite.gateway_url, timeout=15) as client:
        yield client


async def client_token(gateway: httpx.AsyncClient, suite: Profile) -> str:
    secrets = suite_stack.ensure_secrets(suite)
    r = await gateway.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(secrets["AUTH_BOOTSTRAP_CLIENT_ID"], secrets["AUTH_BOOTSTRAP_CLIENT_SECRET"]),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


class TestSuiteThroughGateway:
    async def test_gateway_is_ready_only_with_every_service(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/readyz")
        assert r.status_code == 200, r.text

    async def test_oidc_discovery_through_gateway(self, gateway: httpx.AsyncClient, suite: Profile) -> None:
        r = await gateway.get("/auth/.well-known/openid-configuration")
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["issuer"] == suite.issuer
        assert doc["token_endpoint"] == f"{suite.issuer}/token"
        assert "client_credentials" in doc["grant_types_supported"]
        jwks = (await gateway.get("/auth/.well-known/jwks.json")).json()
        assert jwks["keys"]
        assert all(k["kty"] == "RSA" and k["kid"] for k in jwks["keys"])

    async def test_walking_skeleton(self, gateway: httpx.AsyncClient, suite: Profile) -> None:
        token = await client_token(gateway, suite)
        headers = {"authorization": f"Bearer {token}", "x-request-id": f"e2e-{uuid.uuid4().hex[:8]}"}
        r = await gateway.post("/api/catalog/v1/items", json=ITEM, headers=headers)
        assert r.status_code == 201, r.text
        assert r.headers["x-request-id"] == headers["x-request-id"]
        item_id = r.json()["id"]

        async def in_datahub() -> dict[str, object] | None:
            got = await gateway.get(f"/api/datahub/v1/catalog-items/{item_id}", headers=headers)
            return got.json() if got.status_code == 200 else None

        stored = await eventually(in_datahub, timeout=30)
        assert stored["name"] == ITEM["name"]
        assert stored["region_code"] == "430400"
        listed = await gateway.get("/api/datahub/v1/catalog-items", params={"q": "医疗器械"}, headers=headers)
        assert any(i["item_id"] == item_id for i in listed.json()["items"])

    async def test_missing_and_bad_tokens_are_refused_before_the_service(
        self, gateway: httpx.AsyncClient, suite: Profile
    ) -> None:
        token = await client_token(gateway, suite)
        header, payload, _ = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
        forged = f"{header}.{payload}.{base64.urlsafe_b64encode(b'x' * 256).decode().rstrip('=')}"
        expired_claims = {**claims, "exp": int(time.time()) - 3600}
        tampered = f"{header}.{base64.urlsafe_b64encode(json.dumps(expired_claims).encode()).decode().rstrip('=')}.{token.split('.')[2]}"
        r = await gateway.get("/api/catalog/v1/items")
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        for bad in (unsigned, forged, tampered, "garbage"):
            r = await gateway.post("/api/catalog/v1/items", json=ITEM, headers={"authorization": f"Bearer {bad}"})
            assert r.status_code == 401, (bad[:20], r.text)

    async def test_merged_openapi_lists_every_service(self, gateway: httpx.AsyncClient) -> None:
        async def merged() -> dict | None:  # type: ignore[type-arg]
            # A service that was too slow to answer is retried by the gateway a few seconds later.
            r = await gateway.get("/openapi.json")
            assert r.status_code == 200, r.text
            paths = r.json()["paths"]
            return paths if "Not included right now" not in r.json()["info"]["description"] else None

        paths = await eventually(merged, timeout=60, interval=1.0)
        assert "/api/catalog/v1/items" in paths
        assert "/api/datahub/v1/catalog-items" in paths

    async def test_up_again_does_no_harm(self, suite: Profile) -> None:
        states = await asyncio.to_thread(suite_stack.up, suite)
        assert {states[s.name] for s in (*SERVICES, GATEWAY)} == {"running"}
        assert states["postgres"] in {"running", "external"}
