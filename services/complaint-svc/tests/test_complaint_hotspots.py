"""Hot spots on real servers: clusters of recent complaints detected, grown and cooled, published for risk-svc."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from complaint_helpers import REGION, Svc, complaint_body, new_uscc, now

from supervision_schemas.signals import COMPLAINT_SIGNALS_TOPIC, ComplaintHotspotChanged

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["complaint_fixtures"]

CONTENTS = [
    "这家餐馆的凉菜吃完后全家腹泻，怀疑食材不新鲜",
    "后厨卫生很差，苍蝇乱飞，餐具没有消毒",
    "店里卖的熟食已经变质发臭还在销售",
    "外卖送来的饭菜里吃出了虫子，商家拒绝处理",
    "餐馆使用过期的调味品，包装上的日期已经过了半年",
]


async def _complain(svc: Svc, uscc: str, name: str, content: str, kind: str = "complaint") -> str:
    body = complaint_body(kind=kind, content=content, target={"uscc": uscc, "name": name})
    r = await svc.client.post("/v1/complaints", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _scan(svc: Svc, **params: Any) -> list[dict[str, Any]]:
    r = await svc.client.post("/v1/hotspots/scan", params=params)
    assert r.status_code == 200, r.text
    return r.json()["changes"]  # type: ignore[no-any-return]


def _about(changes: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [c for c in changes if c["dimension"] == "object" and c["key"] == key]


async def test_a_cluster_of_complaints_about_one_object_is_detected_grows_and_cools(svc: Svc) -> None:
    uscc, name = new_uscc(), f"亳州市{svc.objects['tag']['name']}味美餐饮有限公司"
    ids = [await _complain(svc, uscc, name, text) for text in CONTENTS[:2]]
    ids.append(await _complain(svc, uscc, name, CONTENTS[2], kind="report"))

    [detected] = _about(await _scan(svc), uscc)
    assert detected["change"] == "detected"
    assert (detected["count"], detected["previous_count"], detected["reports"]) == (3, 0, 1)
    assert detected["growth"] is None
    assert detected["object"]["uscc"] == uscc
    assert detected["region_code"] == REGION
    assert set(detected["complaint_ids"]) == set(ids)
    assert sum(detected["categories"].values()) == 3
    [event] = [
        e
        for e in await svc.outbox(event_type="gov.supervision.complaint.hotspot.changed.v1")
        if isinstance(e, ComplaintHotspotChanged) and e.data.key == uscc
    ]
    assert event.topic == COMPLAINT_SIGNALS_TOPIC  # the topic risk-svc reads complaint signals from
    assert event.subject == uscc  # keyed like the object's complaint signals
    assert str(event.data.hotspot_id) == detected["hotspot_id"]

    assert _about(await _scan(svc), uscc) == []  # nothing new: nothing published again
    ids += [await _complain(svc, uscc, name, text) for text in CONTENTS[3:]]
    [grown] = _about(await _scan(svc), uscc)
    assert (grown["change"], grown["count"], grown["hotspot_id"]) == ("grown", 5, detected["hotspot_id"])

    listed = await svc.client.get("/v1/hotspots", params={"dimension": "object", "limit": 100})
    assert listed.status_code == 200, listed.text
    [row] = [h for h in listed.json()["items"] if h["key"] == uscc]
    assert (row["hot"], row["count"], row["label"]) == (True, 5, name)
    regions = await svc.client.get("/v1/hotspots", params={"dimension": "region", "limit": 100})
    assert REGION in {h["key"] for h in regions.json()["items"]}

    later = (now() + timedelta(days=30)).isoformat()  # both windows empty by then
    [cooled] = _about(await _scan(svc, as_of=later), uscc)
    assert (cooled["change"], cooled["count"]) == ("cooled", 0)
    gone = await svc.client.get("/v1/hotspots", params={"dimension": "object", "hot": True, "limit": 100})
    assert uscc not in {h["key"] for h in gone.json()["items"]}


async def test_only_platform_administrators_scan_and_staff_see_their_region(svc: Svc) -> None:
    handler = svc.staff("qiaocheng_market")
    r = await svc.client.post("/v1/hotspots/scan", headers=handler)
    assert r.status_code == 403, r.text
    elsewhere = svc.headers(roles=("leader",), region_code="110000")
    r = await svc.client.get("/v1/hotspots", params={"hot": "all"}, headers=elsewhere)
    assert r.status_code == 422, r.text
    r = await svc.client.get("/v1/hotspots", params={"dimension": "region"}, headers=elsewhere)
    assert r.status_code == 200, r.text
    assert all(h["region_code"].startswith("11") for h in r.json()["items"])
    r = await svc.client.post("/v1/hotspots/scan", params={"as_of": "yesterday"})
    assert r.status_code == 422, r.text
