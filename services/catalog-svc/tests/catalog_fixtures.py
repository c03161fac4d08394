"""Fixtures of catalog-svc's tests, loaded with `pytest_plugins = ["catalog_fixtures"]` (no conftest name clash)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from httpx import AsyncClient

from catalog_svc.main import create_app
from svc_runtime.devstack.topology import Profile
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, random_ref, serve_in_process, settings_for

OWNER_DEPT = uuid.uuid4()
REVIEW_DEPT = uuid.uuid4()
OTHER_DEPT = uuid.uuid4()
AGENCY_USCC = "91341600MA2N0K6X6P"


@dataclass
class Catalog:
    client: AsyncClient
    url: str
    issuer: TestIssuer

    def as_dept(
        self, department: uuid.UUID = OWNER_DEPT, region: str = "341600", role: str = "department_admin"
    ) -> dict[str, str]:
        token = self.issuer.token(roles=(role,), region_code=region, department_id=str(department))
        return {"authorization": f"Bearer {token}"}

    def as_admin(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.issuer.token()}"}


@pytest_asyncio.fixture(loop_scope="session")
async def catalog(stack: Profile, test_issuer: TestIssuer) -> AsyncIterator[Catalog]:
    url = await create_database(stack, random_ref("catalog"))
    settings = ServiceSettings(
        **settings_for(stack, "catalog-svc", url, auth_jwks_url=test_issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_app(settings)) as client:
        yield Catalog(client, url, test_issuer)


def item_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "对食品生产经营者的监督检查",
        "item_type": "administrative_inspection",
        "supervision_level": "city",
        "implementing_department": "亳州市市场监督管理局",
        "guiding_department": "安徽省市场监督管理局",
        "department_id": str(OWNER_DEPT),
        "region_code": "341600",
        "domain": "食品安全",
        "supervision_methods": ["on_site", "random_check"],
        "measures": ["责令改正", "约谈"],
        "object_types": ["legal_person"],
        "process": "制定计划、实施检查、结果公示",
        "result": "检查结果录入并公示",
        "legal_bases": [{"law_title": "中华人民共和国食品安全法", "article": "第一百一十条"}],
        "random_check": True,
    }
    body.update(overrides)
    return body


async def published_item(cat: Catalog, **overrides: Any) -> dict[str, Any]:
    """Create, submit, approve and publish an item; returns the published item."""
    region = overrides.get("region_code", "341600")
    r = await cat.client.post("/v1/items", json=item_body(**overrides), headers=cat.as_dept(region=region))
    assert r.status_code == 201, r.text
    item_id = r.json()["id"]
    r = await cat.client.post(f"/v1/items/{item_id}/submit", headers=cat.as_dept(region=region))
    assert r.status_code == 200, r.text
    r = await cat.client.post(
        f"/v1/items/{item_id}/review", json={"decision": "approve"}, headers=cat.as_dept(REVIEW_DEPT, region=region)
    )
    assert r.status_code == 200, r.text
    r = await cat.client.post(f"/v1/items/{item_id}/publish", headers=cat.as_dept(region=region))
    assert r.status_code == 200, r.text
    return dict(r.json())
