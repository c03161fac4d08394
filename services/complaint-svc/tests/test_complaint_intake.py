"""Intake on real servers: linking, routing, merging, idempotency, personal data, risk signals."""

from __future__ import annotations

import logging
import uuid

import pytest
from complaint_helpers import REGION, Svc, complaint_body

from risk_svc.features.signals import from_complaint
from supervision_schemas.signals import ComplaintSignalRecorded

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["complaint_fixtures"]


async def test_intake_links_by_uscc_routes_and_signals_risk(svc: Svc) -> None:
    supermarket = svc.objects["supermarket"]
    r = await svc.client.post(
        "/v1/complaints",
        json=complaint_body(target={"name": "惠民超市", "uscc": supermarket["uscc"]}, title="超市销售过期酸奶"),
    )
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["tracking_no"].startswith("TS")
    assert len(c["access_code"]) == 8
    assert c["status"] == "received"
    assert c["target"]["link_method"] == "uscc"
    assert c["target"]["object_id"] == str(supermarket["object_id"])
    assert c["target"]["industry_code"] == "F5211"
    assert c["target"]["department_id"] == str(svc.departments["qiaocheng_market"])
    assert c["category"] == "food_safety"
    assert c["routing"]["routed_by"] == "classifier"
    assert c["department_id"] == str(svc.departments["qiaocheng_market"])
    assert c["accept_due"] is not None
    assert c["handle_due"] is None
    received = await svc.outbox(c["id"], "gov.supervision.complaint.received.v1")
    assert len(received) == 1
    assert received[0].data.target.object_id == uuid.UUID(c["target"]["object_id"])
    signals = [e for e in await svc.outbox(c["id"]) if isinstance(e, ComplaintSignalRecorded)]
    assert len(signals) == 1
    signal = from_complaint(signals[0])  # what risk-svc makes of it
    assert signal.key == supermarket["uscc"]
    assert ("complaints_30d", 1.0) in signal.contributions
    assert signals[0].subject == supermarket["uscc"]


async def test_name_similarity_links_without_uscc(svc: Svc) -> None:
    body = complaint_body(
        content="这家药房不需要处方就卖抗生素和处方药，店员还说不用登记",
        target={"name": f"{svc.objects['tag']['name']}济仁堂大药房连锁有限公司"},
        kind="report",
    )
    r = await svc.client.post("/v1/complaints", json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["tracking_no"].startswith("JB")
    assert c["target"]["link_method"] == "name"
    assert c["target"]["link_score"] >= 0.8
    assert c["target"]["object_id"] == str(svc.objects["pharmacy"]["object_id"])
    assert c["department_id"] == str(svc.departments["bozhou_drugs"])
    assert c["handle_due"] is not None  # a report is verified within 15 working days of receipt
    signals = [e for e in await svc.outbox(c["id"]) if isinstance(e, ComplaintSignalRecorded)]
    assert signals[0].data.is_report
    assert signals[0].data.category.value == "prescription_drug"


async def test_an_unknown_target_stays_unlinked_and_unsignalled(svc: Svc) -> None:
    r = await svc.client.post("/v1/complaints", json=complaint_body(target={"name": "完全不存在的某某商行"}))
    assert r.status_code == 201, r.text
    assert r.json()["target"]["link_method"] == "none"
    assert not [e for e in await svc.outbox(r.json()["id"]) if isinstance(e, ComplaintSignalRecorded)]


async def test_same_submission_twice_is_one_complaint(svc: Svc) -> None:
    body = complaint_body(content="楼下饭店油烟直排，没有安装净化设备，窗户都不能开", kind="report")
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = await svc.client.post("/v1/complaints", json=body, headers=key)
    again = await svc.client.post("/v1/complaints", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["access_code"] == first.json()["access_code"]
    other = await svc.client.post("/v1/complaints", json={**body, "content": "另一件事情另一件事情"}, headers=key)
    assert other.status_code == 409, other.text
    count = await svc.scalar("SELECT count(*) FROM complaints WHERE content LIKE '%油烟直排%'")
    assert count == 1


async def test_a_work_order_number_is_received_once(svc: Svc) -> None:
    ref = f"GD{uuid.uuid4().hex[:10]}"
    body = complaint_body(channel="national", channel_ref=ref, content="网售处方药不审核处方，直接快递发货给消费者")
    first = await svc.client.post("/v1/complaints", json=body)
    again = await svc.client.post("/v1/complaints", json=body)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    changed = await svc.client.post("/v1/complaints", json={**body, "content": "内容不同的同一个工单号码内容"})
    assert changed.status_code == 409
    assert first.json()["tracking_no"] in changed.text


async def test_repeats_of_the_same_matter_are_merged(svc: Svc) -> None:
    clinic = svc.objects["clinic"]
    text = "口腔诊所器械不消毒，一套工具给多个病人用，卫生状况堪忧"
    first = await svc.client.post(
        "/v1/complaints", json=complaint_body(content=text, target={"uscc": clinic["uscc"]}, kind="report")
    )
    repeat = await svc.client.post(
        "/v1/complaints",
        json=complaint_body(
            content=text + "，请尽快处理",
            target={"name": f"{svc.objects['tag']['name']}康乐口腔诊所"},
            kind="report",
            channel="12315",
        ),
    )
    assert first.status_code == repeat.status_code == 201, repeat.text
    master, dup = first.json(), repeat.json()
    assert dup["status"] == "merged"
    assert dup["merged_into"] == master["id"]
    assert dup["accept_due"] is None
    got = await svc.client.get(f"/v1/complaints/{master['id']}")
    assert got.json()["repeat_count"] == 1
    assert not [e for e in await svc.outbox(dup["id"]) if isinstance(e, ComplaintSignalRecorded)]


async def test_personal_data_is_masked_but_for_the_handler(svc: Svc, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    r = await svc.client.post(
        "/v1/complaints", json=complaint_body(target={"uscc": svc.objects["supermarket"]["uscc"]})
    )
    c = r.json()
    assert c["complainant"] == {
        "anonymous": False,
        "name": "李*",
        "phone": "138****5678",
        "id_number": "110105********002X",
        "email": None,
        "masked": True,
    }
    listed = await svc.client.get("/v1/complaints", params={"q": "酸奶", "limit": 100})
    assert "13812345678" not in listed.text
    assert "李四" not in listed.text
    handler = svc.staff("qiaocheng_market")
    clear = await svc.client.get(f"/v1/complaints/{c['id']}/complainant", headers=handler)
    assert clear.status_code == 200, clear.text
    assert clear.json()["phone"] == "13812345678"
    assert clear.json()["name"] == "李四"
    leader = svc.headers(roles=("leader",), region_code=REGION)
    assert (await svc.client.get(f"/v1/complaints/{c['id']}", headers=leader)).status_code == 200
    assert (await svc.client.get(f"/v1/complaints/{c['id']}/complainant", headers=leader)).status_code == 403
    other = svc.staff("qiaocheng_health")
    assert (await svc.client.get(f"/v1/complaints/{c['id']}/complainant", headers=other)).status_code == 404
    timeline = await svc.client.get(f"/v1/complaints/{c['id']}/timeline")
    assert "personal_data_viewed" in [t["action"] for t in timeline.json()]
    stored = await svc.scalar("SELECT phone_enc FROM complaints WHERE id = :id", id=uuid.UUID(c["id"]))
    assert b"13812345678" not in bytes(stored)
    events = await svc.outbox(c["id"])
    assert events
    assert all("13812345678" not in e.model_dump_json() and "李四" not in e.model_dump_json() for e in events)
    assert all("13812345678" not in rec.getMessage() and "李四" not in str(rec.__dict__) for rec in caplog.records)


async def test_anonymous_complainants_and_bad_input(svc: Svc) -> None:
    anonymous = complaint_body(complainant={"anonymous": True, "phone": "0558-5123456"})
    r = await svc.client.post("/v1/complaints", json=anonymous)
    assert r.status_code == 201, r.text
    assert r.json()["complainant"]["anonymous"]
    assert r.json()["complainant"]["phone"] == "0558-***3456"
    before = await svc.scalar("SELECT count(*) FROM complaints")
    cases = [
        (complaint_body(complainant={"anonymous": True, "name": "王五"}), "complainant"),
        (complaint_body(complainant={"phone": "12345"}), "phone"),
        (complaint_body(complainant={"id_number": "110105194912310021"}), "id_number"),
        (complaint_body(category="nonsense"), "category"),
        (complaint_body(region_code="991234"), "region_code"),
        (complaint_body(target={"uscc": "91341600MA2TXXXXX1"}), "uscc"),
        (complaint_body(media_urls=["javascript:alert(1)"]), "media_urls"),
        (complaint_body(occurred_at="2999-01-01T00:00:00Z"), "occurred_at"),
        ({**complaint_body(), "unexpected": 1}, "unexpected"),
    ]
    for body, field in cases:
        bad = await svc.client.post("/v1/complaints", json=body)
        assert bad.status_code == 422, (field, bad.text)
        assert field in bad.text, (field, bad.text)
    assert await svc.scalar("SELECT count(*) FROM complaints") == before


async def test_intake_is_data_scoped(svc: Svc) -> None:
    elsewhere = svc.headers(roles=("agency_system",), region_code="340100", subject="hefei-12345")
    r = await svc.client.post("/v1/complaints", json=complaint_body(), headers=elsewhere)
    assert r.status_code == 403, r.text
    leader = svc.headers(roles=("leader",), region_code=REGION)
    assert (await svc.client.post("/v1/complaints", json=complaint_body(), headers=leader)).status_code == 403
