"""Search across libraries with filters and facets, and the object profile in one call."""

from __future__ import annotations

import uuid

import pytest
from datahub_helpers import Hub

from supervision_schemas.identifiers import uscc_check_char

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]


def new_uscc() -> str:
    first17 = f"91341602MA{uuid.uuid4().int % 10**7:07d}"
    return first17 + uscc_check_char(first17)


async def test_search_finds_objects_and_acts_with_facets(hub: Hub) -> None:
    code = new_uscc()
    r = await hub.client.post(
        "/v1/objects/batch",
        json={
            "items": [
                {
                    "kind": "legal_person",
                    "name": "亳州市搜索鹊桥中药材有限公司",
                    "uscc": code,
                    "region_code": "341602",
                    "credit_class": "A",
                },
                {"kind": "legal_person", "name": "涡阳县搜索鹊桥药店", "region_code": "341621", "credit_class": "C"},
                {"kind": "site", "name": "鹊桥搜索工地", "code": "SITE-QQ-1", "region_code": "341602"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    found = (await hub.client.get("/v1/search", params={"q": "鹊桥 搜索"})).json()
    assert found["total"] == 3, found
    assert found["facets"]["kind"] == {"legal_person": 2, "site": 1}
    assert found["facets"]["region"] == {"341600": 3}
    filtered = (await hub.client.get("/v1/search", params={"q": "鹊桥 搜索", "credit_class": "C"})).json()
    assert [h["title"] for h in filtered["hits"]] == ["涡阳县搜索鹊桥药店"]
    assert (await hub.client.get("/v1/search", params={"q": "   "})).status_code == 400


async def test_profile_gathers_acts_penalties_and_related_objects(hub: Hub) -> None:
    code = new_uscc()
    owner = await hub.client.post(
        "/v1/objects", json={"kind": "legal_person", "name": "画像测试商场", "uscc": code, "region_code": "341602"}
    )
    object_id = owner.json()["id"]
    lift = await hub.client.post(
        "/v1/objects",
        json={
            "kind": "equipment",
            "name": "画像商场1号梯",
            "code": f"LIFT-{code}",
            "owner_uscc": code,
            "region_code": "341602",
        },
    )
    assert lift.status_code == 201, lift.text
    for record_type, details in (("inspection", {}), ("penalty", {"fine_amount": "2000元"})):
        r = await hub.client.post(
            "/v1/behaviour-records",
            json={
                "record_type": record_type,
                "record_code": uuid.uuid4().hex,
                "item_code": "34160000000002",
                "implementing_agency": "亳州市市场监督管理局",
                "object_name": "画像测试商场",
                "object_uscc": code,
                "region_code": "341602",
                "acted_on": "2024-05-06",
                "details": details,
            },
        )
        assert r.status_code == 201, r.text
    profile = await hub.client.get(f"/v1/objects/{object_id}/profile")
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert len(body["inspections"]) == 1
    assert body["penalty_summary"] == {"count": 1, "total_fines": "2000.00"}
    assert [o["name"] for o in body["related_objects"]] == ["画像商场1号梯"]
    other_region = hub.auth(roles=("leader",), region_code="340100")
    assert (await hub.client.get(f"/v1/objects/{object_id}/profile", headers=other_region)).status_code == 403


async def test_search_reaches_knowledge_complaints_and_personnel(hub: Hub) -> None:
    word = "檀香" + uuid.uuid4().hex[:4]
    r = await hub.client.post(
        "/v1/knowledge",
        json={"entry_type": "case", "code": f"案-{word}", "title": f"{word}化妆品虚假宣传案", "issuer": "某局"},
    )
    assert r.status_code == 201, r.text
    r = await hub.client.post(
        "/v1/complaints",
        json={
            "number": uuid.uuid4().hex,
            "channel": "12315",
            "received_at": "2025-01-02T03:04:05+08:00",
            "region_code": "341602",
            "target_name": f"{word}美容店",
            "summary": "虚假宣传",
        },
    )
    assert r.status_code == 201, r.text
    found = (await hub.client.get("/v1/search", params={"q": f"{word} 虚假"})).json()
    assert found["facets"]["library"] == {"knowledge": 1, "complaints": 1}, found
    only = (await hub.client.get("/v1/search", params={"q": word, "library": "knowledge"})).json()
    assert [h["kind"] for h in only["hits"]] == ["case"]
