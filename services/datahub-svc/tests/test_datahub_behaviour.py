"""Supervision behaviour: record types, validation, exact and fuzzy linking, the review queue, events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from datahub_helpers import Hub
from sqlalchemy import select

from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.cloudevents import from_kafka
from svc_runtime.outbox import OutboxEvent

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]

AGENCY = "11341600MB19612701"
AGENCY_USCC = AGENCY[:17] + uscc_check_char(AGENCY[:17])


def inspection(**change: Any) -> dict[str, Any]:
    return {
        "record_type": "inspection",
        "record_code": uuid.uuid4().hex,
        "item_code": "34160000000001",
        "inspection_list_code": AGENCY_USCC + "3" + "0001",
        "implementing_agency": "亳州市市场监督管理局",
        "object_name": "亳州市行为测试大药房有限公司",
        "object_uscc": None,
        "business_address": "亳州市谯城区药都路 1 号",
        "region_code": "341602",
        "acted_on": "2024年3月5日",
        "result": "未发现问题",
        "officers": ["王五", "赵六"],
        "certificate_numbers": ["34160001", "34160002"],
        "details": {"inspection_form": "双随机", "inspection_method": "现场检查"},
        **change,
    }


async def make_object(hub: Hub, **change: Any) -> str:
    body = {
        "kind": "legal_person",
        "name": "亳州市行为测试大药房有限公司",
        "address": "安徽省亳州市谯城区药都路 1 号",
        "legal_representative": "周七",
        "region_code": "341602",
        **change,
    }
    if body.get("uscc") == "auto":
        first17 = f"91341602MA{uuid.uuid4().int % 10**7:07d}"
        body["uscc"] = first17 + uscc_check_char(first17)
    r = await hub.client.post("/v1/objects", json=body)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


class TestRecord:
    async def test_links_exactly_by_credit_code_and_stages_the_event(self, hub: Hub) -> None:
        object_id = await make_object(hub, uscc="auto", name="精确关联测试公司")
        obj = (await hub.client.get(f"/v1/objects/{object_id}")).json()
        r = await hub.client.post(
            "/v1/behaviour-records", json=inspection(object_uscc=obj["uscc"], object_name="随便写的名字")
        )
        assert r.status_code == 201, r.text
        record = r.json()["items"][0]
        assert (record["object_id"], record["link_method"]) == (object_id, "exact")
        assert record["acted_on"] == "2024-03-05"
        async with hub.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(OutboxEvent.__table__).where(
                        OutboxEvent.event_type == "gov.supervision.datahub.behaviour.recorded.v1",
                        OutboxEvent.key == object_id,
                    )
                )
            ).one()
        event = from_kafka(row.payload, [(k, v.encode()) for k, v in row.headers.items()])
        assert event.data.item_code == "34160000000001"  # type: ignore[attr-defined]

    async def test_links_by_fuzzy_match_when_there_is_no_code(self, hub: Hub) -> None:
        object_id = await make_object(hub, name="亳州市模糊关联甲大药房有限公司", address="亳州市谯城区模糊路 9 号")
        r = await hub.client.post(
            "/v1/behaviour-records",
            json=inspection(object_name="亳州模糊关联甲大药房", business_address="谯城区模糊路9号"),
        )
        assert r.status_code == 201, r.text
        record = r.json()["items"][0]
        assert record["link_method"] == "fuzzy", record
        assert record["object_id"] == object_id

    async def test_uncertain_match_goes_to_review_and_can_be_accepted(self, hub: Hub) -> None:
        object_id = await make_object(hub, name="亳州市待审核乙药品零售连锁有限公司", address="利辛县城关镇")
        r = await hub.client.post(
            "/v1/behaviour-records",
            json=inspection(object_name="待审核乙药品零售", business_address="谯城区别处", region_code="341602"),
        )
        assert r.status_code == 201, r.text
        record = r.json()["items"][0]
        assert record["link_method"] == "review", record
        reviews = (await hub.client.get("/v1/link-reviews")).json()["items"]
        review = next(x for x in reviews if x["record_id"] == record["id"])
        assert review["candidate_object_id"] == object_id
        accepted = await hub.client.post(f"/v1/link-reviews/{review['id']}/accept")
        assert accepted.status_code == 200, accepted.text
        again = await hub.client.post(f"/v1/link-reviews/{review['id']}/accept")
        assert again.status_code == 409
        got = (await hub.client.get(f"/v1/behaviour-records/{record['id']}")).json()
        assert got["object_id"] == object_id

    async def test_resending_the_same_record_changes_nothing(self, hub: Hub) -> None:
        body = inspection()
        first = await hub.client.post("/v1/behaviour-records", json=body)
        assert first.status_code == 201, first.text
        again = await hub.client.post("/v1/behaviour-records", json=body)
        assert again.json()["created"] == 0
        assert again.json()["items"][0]["id"] == first.json()["items"][0]["id"]

    async def test_penalty_fields_and_their_rules(self, hub: Hub) -> None:
        penalty = inspection(
            record_type="penalty",
            details={
                "illegal_facts": "销售劣药",
                "legal_basis": "《药品管理法》第一百一十七条",
                "decision_number": "亳市监罚〔2024〕12号",
                "filed_on": "2024-01-10",
                "closed_on": "2024/3/1",
                "fine_amount": "3.5万元",
                "penalty_types": ["罚款", "没收违法所得"],
            },
        )
        r = await hub.client.post("/v1/behaviour-records", json=penalty)
        assert r.status_code == 201, r.text
        assert r.json()["items"][0]["penalty_amount"] == "35000.00"

        bad = inspection(
            record_type="penalty",
            item_code="3416000000001",
            inspection_list_code="123",
            details={"filed_on": "2024-03-10", "closed_on": "2024-03-01"},
        )
        r = await hub.client.post("/v1/behaviour-records", json=bad)
        assert r.status_code == 422, r.text
        assert {e["field"] for e in r.json()["errors"]} == {"item_code", "inspection_list_code", "details"}
