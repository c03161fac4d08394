"""The gateway's own endpoints: health, readiness, metrics, merged OpenAPI and docs."""

from __future__ import annotations

import httpx
import pytest

from conftest import Suite

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_follows_the_services(client: httpx.AsyncClient, suite: Suite) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["services"]) == {"catalog", "credit", "auth"}
    suite.upstreams["catalog"].ready = False
    try:
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        services = not_ready.json()["services"]
        assert services["catalog"] == {"ready": False, "status": 503}
        assert services["credit"]["ready"] is True
    finally:
        suite.upstreams["catalog"].ready = True
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_reports_an_unreachable_service(degraded: httpx.AsyncClient) -> None:
    response = await degraded.get("/readyz")
    assert response.status_code == 503
    risk = response.json()["services"]["risk"]
    assert risk["ready"] is False
    assert "error" in risk


async def test_metrics(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await client.get("/api/catalog/v1/echo", headers=auth)
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'route="/api/catalog/*"' in response.text
    assert "http_request_duration_seconds" in response.text


async def test_merged_openapi(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    paths = doc["paths"]
    assert "/api/catalog/v1/items/{item_id}" in paths
    assert "/api/credit/v1/items" in paths
    assert "/api/auth/v1/items" in paths
    assert "/auth/token" in paths
    assert "/auth/.well-known/jwks.json" in paths
    assert not any(p.startswith("/v1") for p in paths)
    schemas = doc["components"]["schemas"]
    assert "catalog__Item" in schemas
    assert "credit__Item" in schemas
    assert "Item" not in schemas
    get_item = paths["/api/catalog/v1/items/{item_id}"]["get"]
    ref = get_item["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/catalog__Item"
    assert get_item["tags"] == ["catalog"]
    assert get_item["x-service-tags"] == ["items"]
    listing = schemas["credit__ItemList"]["properties"]["items"]["items"]["$ref"]
    assert listing == "#/components/schemas/credit__Item"
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]
    assert paths["/auth/token"]["post"]["security"] == []
    assert "security" not in get_item
    op_ids = [op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op]
    assert len(op_ids) == len(set(op_ids))
    for value in _all_refs(doc):
        kind, name = value.split("/")[2:4]
        assert name in doc["components"][kind], value


async def test_merged_openapi_tolerates_a_down_service(degraded: httpx.AsyncClient) -> None:
    response = await degraded.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert "/api/catalog/v1/items" in doc["paths"]
    assert not any(p.startswith("/api/risk") for p in doc["paths"])
    assert "risk" in doc["info"]["description"]


async def test_docs(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


def _all_refs(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_all_refs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_all_refs(item))
    return found
