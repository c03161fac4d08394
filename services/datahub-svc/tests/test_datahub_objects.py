"""The supervised-object library over HTTP on a real database: push, identity, masking, lineage, merges."""

from __future__ import annotations

import uuid

import pytest
from datahub_helpers import Hub
from sqlalchemy import func, select, text

from svc_runtime.cloudevents import from_kafka
from svc_runtime.outbox import OutboxEvent

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]

COMPANY = {
    "kind": "legal_person",
    "name": "亳州市华佗中药饮片有限公司",
    "uscc": "91110000802100433B",
    "legal_representative": "张三",
    "address": "安徽省亳州市谯城区魏武大道 88 号",
    "region_code": "341602",
    "phone": "0558-5123456",
    "industry_code": "c27",
    "business_traits": ["中药饮片", "药品生产"],
    "supervision_focus": "重点监管|GMP",
    "credit_class": "b",
    "attributes": {"registered_capital": "500万元", "established_on": "2008年3月18日", "entity_type": "有限责任公司"},
}
PERSON = {
    "kind": "natural_person",
    "name": "李四",
    "id_number": "11010519491231002x",
    "phone": "138 0013 8000",
    "region_code": "341602",
    "attributes": {"role": "lawyer", "practice_certificate": "13416200810123456"},
}


async def count(hub: Hub, table: str) -> int:
    async with hub.engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


class TestPush:
    async def test_creates_then_recognises_the_same_object(self, hub: Hub) -> None:
        r = await hub.client.post("/v1/objects", json=COMPANY)
        assert r.status_code == 201, r.text
        object_id = r.json()["id"]
        assert r.json()["outcome"] == "created"
        events = await count(hub, "outbox_events")

        again = await hub.client.post("/v1/objects", json=COMPANY)
        assert again.status_code == 200, again.text
        assert again.json() == {"row": 1, "id": object_id, "outcome": "unchanged"}
        assert await count(hub, "outbox_events") == events

        got = (await hub.client.get(f"/v1/objects/{object_id}")).json()
        assert got["uscc"] == "91110000802100433B"
        assert got["industry_code"] == "C27"
        assert got["credit_class"] == "B"
        assert got["supervision_focus"] == ["重点监管", "GMP"]
        assert got["attributes"] == {
            "registered_capital": "5000000.00",
            "established_on": "2008-03-18",
            "entity_type": "有限责任公司",
        }
        assert got["lineage"]["name"]["source"] == "test-client"

    async def test_update_changes_only_what_differs_and_records_lineage(self, hub: Hub) -> None:
        created = await hub.client.post("/v1/objects", json={**COMPANY, "uscc": "91341600MA2XXXXX0T"})
        assert created.status_code in (422, 201), created.text
        r = await hub.client.post(
            "/v1/objects/batch",
            json={
                "items": [{**COMPANY, "address": "亳州市谯城区新地址 1 号", "phone": None}],
                "source": "county-system",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["updated"] == 1
        got = (await hub.client.get(f"/v1/objects/{r.json()['items'][0]['id']}")).json()
        assert got["address"] == "亳州市谯城区新地址 1 号"
        assert got["phone"] == "0558-5123456"  # an empty field keeps the stored value
        assert got["lineage"]["address"]["source"] == "county-system"
        assert got["lineage"]["name"]["source"] == "test-client"
        assert got["version"] == 2

    async def test_stages_object_events_that_consumers_can_parse(self, hub: Hub) -> None:
        body = {**COMPANY, "uscc": None, "name": "亳州市事件测试药房", "region_code": "341602"}
        r = await hub.client.post("/v1/objects", json=body)
        assert r.status_code == 201, r.text
        async with hub.engine.connect() as conn:
            row = (await conn.execute(select(OutboxEvent.__table__).where(OutboxEvent.key == r.json()["id"]))).one()
        event = from_kafka(row.payload, [(k, v.encode()) for k, v in row.headers.items()])
        assert event.type == "gov.supervision.datahub.object.created.v1"
        assert str(event.data.object_id) == r.json()["id"]  # type: ignore[attr-defined]
        assert event.data.name == "亳州市事件测试药房"  # type: ignore[attr-defined]

    async def test_invalid_rows_are_named_and_nothing_is_stored(self, hub: Hub) -> None:
        before = await count(hub, "supervised_objects")
        bad = [
            {**COMPANY, "name": "好公司", "uscc": None},
            {**COMPANY, "uscc": "91110000802100433A"},
            {**PERSON, "id_number": "110105194902300021"},
            {"kind": "equipment", "name": "电梯", "region_code": "341602"},
        ]
        r = await hub.client.post("/v1/objects/batch", json={"items": bad})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
        assert errors == {(2, "uscc"), (3, "id_number"), (4, "code")}
        assert await count(hub, "supervised_objects") == before

    async def test_kind_specific_fields_are_validated(self, hub: Hub) -> None:
        r = await hub.client.post(
            "/v1/objects",
            json={
                "kind": "equipment",
                "name": "1号客梯",
                "code": "31103416022019080001",
                "uscc": "91110000802100433B",
                "region_code": "341602",
                "attributes": {"equipment_type": "rocket", "next_inspection_due": "2025-02-30"},
            },
        )
        assert r.status_code == 422, r.text
        assert {e["field"] for e in r.json()["errors"]} == {"equipment_type", "next_inspection_due"}


class TestIdempotency:
    async def test_same_key_same_body_replays_and_other_body_conflicts(self, hub: Hub) -> None:
        key = uuid.uuid4().hex
        body = {**COMPANY, "uscc": None, "name": "幂等测试商店"}
        first = await hub.client.post("/v1/objects", json=body, headers={"Idempotency-Key": key})
        assert first.status_code == 201, first.text
        replay = await hub.client.post("/v1/objects", json=body, headers={"Idempotency-Key": key})
        assert replay.status_code == 201, replay.text
        assert replay.json() == first.json()
        assert replay.headers["idempotent-replayed"] == "true"
        other = await hub.client.post("/v1/objects", json={**body, "address": "别处"}, headers={"Idempotency-Key": key})
        assert other.status_code == 409, other.text


class TestMaskingAndScope:
    async def test_personal_identifiers_are_masked_for_roles_without_the_right(self, hub: Hub) -> None:
        r = await hub.client.post("/v1/objects", json=PERSON)
        assert r.status_code in (200, 201), r.text
        object_id = r.json()["id"]
        full = (await hub.client.get(f"/v1/objects/{object_id}")).json()
        assert full["id_number"] == "11010519491231002X"
        leader = hub.auth(roles=("leader",), region_code="340000")
        masked = (await hub.client.get(f"/v1/objects/{object_id}", headers=leader)).json()
        assert masked["id_number"] == "110105********002X"
        assert masked["phone"] == "138****8000"

    async def test_reads_and_writes_are_limited_to_the_callers_region(self, hub: Hub) -> None:
        other_city = hub.auth(roles=("department_admin",), region_code="340100")
        r = await hub.client.post("/v1/objects", json={**COMPANY, "uscc": None, "name": "越权商店"}, headers=other_city)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "region_code"
        listed = (await hub.client.get("/v1/objects", headers=hub.auth(roles=("leader",), region_code="340100"))).json()
        assert listed["total"] == 0
        leader = hub.auth(roles=("leader",), region_code="341600")
        assert (await hub.client.get("/v1/objects", headers=leader)).json()["total"] > 0
        assert (await hub.client.post("/v1/objects", json=COMPANY, headers=leader)).status_code == 403


class TestListAndMerge:
    async def test_lists_with_search_and_filters(self, hub: Hub) -> None:
        r = await hub.client.get("/v1/objects", params={"q": "华佗 饮片", "kind": "legal_person", "credit_class": "B"})
        assert r.status_code == 200, r.text
        assert [o["name"] for o in r.json()["items"]] == ["亳州市华佗中药饮片有限公司"]

    async def test_merge_and_split_are_audited(self, hub: Hub) -> None:
        a = (await hub.client.post("/v1/objects", json={**COMPANY, "uscc": None, "name": "合并甲店"})).json()["id"]
        b = (await hub.client.post("/v1/objects", json={**COMPANY, "uscc": None, "name": "合并甲店(分店)"})).json()[
            "id"
        ]
        merged = await hub.client.post(f"/v1/objects/{a}/merge", json={"merged_object_ids": [b], "reason": "同一主体"})
        assert merged.status_code == 200, merged.text
        assert (await hub.client.get(f"/v1/objects/{b}")).json()["merged_into"] == a
        assert (await hub.client.post(f"/v1/objects/{a}/merge", json={"merged_object_ids": [b]})).status_code == 409
        split = await hub.client.post(f"/v1/objects/{a}/split", json={"merged_object_id": b, "reason": "误合并"})
        assert split.status_code == 200, split.text
        audit = (await hub.client.get(f"/v1/objects/{b}/merge-audit")).json()
        assert [x["action"] for x in audit] == ["merge", "split"]
        async with hub.engine.connect() as conn:
            types = (
                await conn.execute(select(OutboxEvent.event_type, func.count()).group_by(OutboxEvent.event_type))
            ).all()
        assert ("gov.supervision.datahub.object.merged.v1", 2) in [tuple(t) for t in types]
