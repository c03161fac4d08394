"""Supervision items over HTTP, on a real database; events land in the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from httpx import AsyncClient
from sqlalchemy import func, select

from catalog_svc.items.models import SupervisionItem
from catalog_svc.main import create_app
from svc_runtime.db import create_engine
from svc_runtime.devstack.topology import Profile
from svc_runtime.outbox import OutboxEvent
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

VALID = {
    "name": "对食品生产经营者的监督检查",
    "item_type": "administrative_inspection",
    "supervision_level": "county",
    "implementing_department": "景泰县市场监督管理局",
    "region_code": "620423",
    "legal_basis": "《中华人民共和国食品安全法》第一百一十条",
}


@pytest_asyncio.fixture(loop_scope="session")
async def catalog(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[tuple[AsyncClient, str]]:
    url = await create_database(stack, random_ref("catalog"))
    settings = ServiceSettings(
        **settings_for(stack, "catalog-svc", url, auth_jwks_url=test_issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_app(settings)) as client:
        client.headers["authorization"] = f"Bearer {test_issuer.token()}"
        yield client, url


async def counts(url: str) -> tuple[int, int]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        items = await conn.scalar(select(func.count()).select_from(SupervisionItem))
        events = await conn.scalar(select(func.count()).select_from(OutboxEvent))
    await engine.dispose()
    return int(items or 0), int(events or 0)


class TestCreateItem:
    async def test_stores_item_and_stages_its_event(self, catalog: tuple[AsyncClient, str]) -> None:
        client, url = catalog
        before = await counts(url)
        r = await client.post("/v1/items", json={**VALID, "code": "11000000000001"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "draft"
        assert body["code"] == "11000000000001"
        assert await counts(url) == (before[0] + 1, before[1] + 1)

        got = await client.get(f"/v1/items/{body['id']}")
        assert got.status_code == 200, got.text
        assert got.json()["name"] == VALID["name"]

    async def test_normalises_full_width_text(self, catalog: tuple[AsyncClient, str]) -> None:
        client, _ = catalog
        r = await client.post("/v1/items", json={**VALID, "name": "  食品　抽检（ＡＢＣ）  "})
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "食品 抽检(ABC)"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"region_code": "990000"}, "region_code"),
            ({"code": "12345"}, "code"),
            ({"item_type": "parking"}, "item_type"),
            ({"name": ""}, "name"),
            ({"unexpected": 1}, "unexpected"),
        ],
    )
    async def test_refuses_invalid_input_and_stores_nothing(
        self, catalog: tuple[AsyncClient, str], change: dict[str, object], field: str
    ) -> None:
        client, url = catalog
        before = await counts(url)
        r = await client.post("/v1/items", json={**VALID, **change})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert any(field in e["loc"] for e in r.json()["errors"]), r.text
        assert await counts(url) == before

    async def test_refuses_malformed_json(self, catalog: tuple[AsyncClient, str]) -> None:
        client, url = catalog
        before = await counts(url)
        r = await client.post("/v1/items", content=b'{"name": ', headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["status"] == 422
        assert await counts(url) == before

    async def test_refuses_oversized_body(self, catalog: tuple[AsyncClient, str]) -> None:
        client, url = catalog
        before = await counts(url)
        r = await client.post("/v1/items", json={**VALID, "legal_basis": "法" * 2_000_000})
        assert r.status_code == 413, r.text
        assert r.json()["title"] == "Payload too large"
        assert await counts(url) == before

    async def test_duplicate_code_is_a_conflict_and_rolls_back(self, catalog: tuple[AsyncClient, str]) -> None:
        client, url = catalog
        assert (await client.post("/v1/items", json={**VALID, "code": "11000000000099"})).status_code == 201
        before = await counts(url)
        r = await client.post("/v1/items", json={**VALID, "code": "11000000000099"})
        assert r.status_code == 409, r.text
        assert await counts(url) == before


class TestListItems:
    async def test_paginates_filters_and_sorts(self, catalog: tuple[AsyncClient, str]) -> None:
        client, _ = catalog
        marker = random_ref("list")
        for i in range(3):
            r = await client.post("/v1/items", json={**VALID, "name": f"{marker} {i}"})
            assert r.status_code == 201, r.text
        r = await client.get("/v1/items", params={"q": marker, "limit": 2, "sort": "name"})
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 3
        assert [i["name"] for i in page["items"]] == [f"{marker} 0", f"{marker} 1"]
        r = await client.get("/v1/items", params={"q": marker, "page": 2, "limit": 2, "sort": "-name"})
        assert [i["name"] for i in r.json()["items"]] == [f"{marker} 0"]

    async def test_unknown_sort_field_is_a_clear_400(self, catalog: tuple[AsyncClient, str]) -> None:
        client, _ = catalog
        r = await client.get("/v1/items", params={"sort": "password"})
        assert r.status_code == 400, r.text
        assert "cannot sort by" in r.json()["detail"]


class TestAuthentication:
    @pytest.mark.parametrize("header", [None, "Bearer", "Bearer not.a.token", "Basic abc"])
    async def test_requires_a_valid_token(self, catalog: tuple[AsyncClient, str], header: str | None) -> None:
        client, url = catalog
        before = await counts(url)
        saved = client.headers.pop("authorization")
        try:
            r = await client.post("/v1/items", json=VALID, headers={"authorization": header} if header else {})
        finally:
            client.headers["authorization"] = saved
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"] == "Bearer"
        assert await counts(url) == before

    async def test_refuses_expired_and_foreign_tokens(
        self, catalog: tuple[AsyncClient, str], test_issuer: TestIssuer
    ) -> None:
        client, _ = catalog
        expired = test_issuer.token(ttl_s=-60)
        foreign = TestIssuer(test_issuer.issuer)  # same issuer name, other key, same kid unknown
        for token in (expired, foreign.token(), test_issuer.token(aud="someone-else")):
            r = await client.get("/v1/items", headers={"authorization": f"Bearer {token}"})
            assert r.status_code == 401, r.text
