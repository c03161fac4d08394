"""The closed loop on real servers: transitions, results, national dispatch results, deadlines, escalation, public status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from complaint_helpers import CITY, REGION, Svc, complaint_body

from complaint_svc.settings import ComplaintSettings, DeadlinePolicy
from supervision_schemas.complaint import ComplaintChannel, ComplaintKind, ComplaintStatusChanged
from svc_runtime.workdays import WorkdayCalendar

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["complaint_fixtures"]


async def _new(svc: Svc, **overrides: object) -> dict:  # type: ignore[type-arg]
    r = await svc.client.post("/v1/complaints", json=complaint_body(**overrides))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_national_complaint_through_the_closed_loop(svc: Svc) -> None:
    ref = f"GJ{uuid.uuid4().hex[:12]}"
    c = await _new(
        svc,
        channel="national",
        channel_ref=ref,
        content="超市收银时多收钱，价签与结算价格不一致，要求退还差价",
        target={"uscc": svc.objects["supermarket"]["uscc"]},
    )
    cid, handler = c["id"], svc.staff("qiaocheng_market")
    close = await svc.client.post(f"/v1/complaints/{cid}/close", json={}, headers=handler)
    assert close.status_code == 409, close.text
    assert close.json()["state"] == "received"
    assert "'received'" in close.json()["detail"]
    for action, body in [("accept", {}), ("dispatch", {}), ("start", {"note": "联系双方调解"})]:
        r = await svc.client.post(f"/v1/complaints/{cid}/{action}", json=body, headers=handler)
        assert r.status_code == 200, (action, r.text)
    accepted = (await svc.client.get(f"/v1/complaints/{cid}")).json()
    assert accepted["status"] == "handling"
    calendar = WorkdayCalendar()
    assert datetime.fromisoformat(accepted["handle_due"]).date() == calendar.add_workdays(
        datetime.fromisoformat(accepted["accepted_at"])
        .astimezone(calendar.deadline(datetime.now(UTC), 0).tzinfo)
        .date(),
        45,
    )
    wrong = await svc.client.post(
        f"/v1/complaints/{cid}/reply", json={"result_code": "case_opened", "summary": "立案"}, headers=handler
    )
    assert wrong.status_code == 422, wrong.text
    assert "mediated" in wrong.text
    r = await svc.client.post(
        f"/v1/complaints/{cid}/reply", json={"result_code": "mediated", "summary": "商家退款并赔偿"}, headers=handler
    )
    assert r.status_code == 200, r.text
    assert (await svc.client.post(f"/v1/complaints/{cid}/close", json={}, headers=handler)).status_code == 200
    replied = [e for e in await svc.outbox(cid) if isinstance(e, ComplaintStatusChanged) and e.data.action == "reply"]
    assert len(replied) == 1
    assert replied[0].data.channel is ComplaintChannel.NATIONAL
    assert replied[0].data.channel_ref == ref
    assert replied[0].data.result is not None
    assert replied[0].data.result.code == "mediated"
    # feedback: the complainant sees the result with the query code and rates it, without login
    public = svc.client.build_request("GET", f"/v1/public/complaints/{c['tracking_no']}")
    public.headers.pop("authorization")
    anonymous = await svc.client.send(public)
    assert anonymous.status_code == 200, anonymous.text
    assert anonymous.json()["status"] == "closed"
    assert anonymous.json()["result"] is None
    with_code = await svc.client.get(
        f"/v1/public/complaints/{c['tracking_no']}",
        params={"access_code": c["access_code"]},
        headers={"authorization": ""},
    )
    assert with_code.json()["result"]["summary"] == "商家退款并赔偿"
    assert [s["action"] for s in with_code.json()["steps"]][:2] == ["receive", "accept"]
    bad = await svc.client.post(
        f"/v1/public/complaints/{c['tracking_no']}/rating", json={"satisfaction": 5, "access_code": "00000000"}
    )
    assert bad.status_code == 403
    rated = await svc.client.post(
        f"/v1/public/complaints/{c['tracking_no']}/rating", json={"satisfaction": 4, "access_code": c["access_code"]}
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "rated"
    assert rated.json()["satisfaction"] == 4
    again = await svc.client.post(
        f"/v1/public/complaints/{c['tracking_no']}/rating", json={"satisfaction": 1, "access_code": c["access_code"]}
    )
    assert again.status_code == 409
    assert again.json()["state"] == "rated"
    timeline = (await svc.client.get(f"/v1/complaints/{cid}/timeline")).json()
    assert [t["action"] for t in timeline] == ["receive", "accept", "dispatch", "start", "reply", "close", "rate"]


async def test_reports_verify_within_15_working_days_and_reassign_with_reason(svc: Svc) -> None:
    c = await _new(svc, kind="report", content="化工厂夜间偷排废气，气味刺鼻，附近居民都睡不着觉")
    assert c["category"] == "environment"
    # departments of the type resolved in the region (other runs' departments share the names)
    assert c["department_name"] == "bozhou_environment局"
    environment = uuid.UUID(c["department_id"])
    received = datetime.fromisoformat(c["received_at"])
    assert c["handle_due"] == WorkdayCalendar().deadline(received, 15).isoformat()
    dispatcher = svc.headers(roles=("department_admin",), region_code=CITY, department_id=str(environment))
    no_reason = await svc.client.post(
        f"/v1/complaints/{c['id']}/reassign",
        json={"department_id": str(svc.departments["qiaocheng_market"])},
        headers=dispatcher,
    )
    assert no_reason.status_code == 422
    r = await svc.client.post(
        f"/v1/complaints/{c['id']}/reassign",
        json={
            "department_id": str(svc.departments["qiaocheng_market"]),
            "category": "food_safety",
            "reason": "实为食品加工作坊 属市场监管职责",
        },
        headers=dispatcher,
    )
    assert r.status_code == 200, r.text
    assert r.json()["routing"]["routed_by"] == "handler"
    assert r.json()["category"] == "food_safety"
    changed = [e for e in await svc.outbox(c["id"]) if isinstance(e, ComplaintStatusChanged)][-1]
    assert changed.data.action == "reassign"
    assert changed.data.previous_department_id == environment
    assert changed.data.reason == "实为食品加工作坊 属市场监管职责"
    # the old department no longer sees it; the new one does
    old = svc.headers(roles=("inspector",), region_code=CITY, department_id=str(environment))
    assert (await svc.client.get(f"/v1/complaints/{c['id']}", headers=old)).status_code == 404
    assert (await svc.client.get(f"/v1/complaints/{c['id']}", headers=svc.staff("qiaocheng_market"))).status_code == 200
    unknown = await svc.client.post(
        f"/v1/complaints/{c['id']}/reassign", json={"department_id": str(uuid.uuid4()), "reason": "试一下"}
    )
    assert unknown.status_code == 422


async def test_reminders_and_escalation_follow_the_working_day_ladder(svc: Svc) -> None:
    c = await _new(svc, content="网红餐厅后厨视频显示食材直接放在地上，卫生很差")
    due = datetime.fromisoformat(c["accept_due"])
    calendar = WorkdayCalendar()

    async def scan(at: datetime) -> dict:  # type: ignore[type-arg]
        r = await svc.client.post("/v1/deadlines/scan", params={"as_of": at.isoformat()})
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def at_workday(offset: int) -> datetime:
        day = calendar.add_workdays(due.date(), offset)
        return datetime(day.year, day.month, day.day, 10, tzinfo=due.tzinfo)

    await scan(at_workday(-1))
    await scan(at_workday(-1))
    await scan(at_workday(1))
    await scan(at_workday(1))
    await scan(at_workday(6))
    await scan(at_workday(7))
    timeline = (await svc.client.get(f"/v1/complaints/{c['id']}/timeline")).json()
    actions = [(t["action"], t["details"].get("level")) for t in timeline]
    assert actions.count(("remind", None)) == 1
    assert [a for a in actions if a[0] == "supervise"] == [("supervise", 1), ("supervise", 2)]
    got = (await svc.client.get(f"/v1/complaints/{c['id']}")).json()
    assert got["escalation_level"] == 2
    assert got["overdue"] is False  # the real clock has not reached the deadline
    inspector = svc.staff("qiaocheng_market")
    assert (await svc.client.post("/v1/deadlines/scan", headers=inspector)).status_code == 403
    leader = svc.headers(roles=("leader",), region_code=REGION)
    r = await svc.client.post(
        f"/v1/complaints/{c['id']}/supervise", json={"reason": "群众反映强烈，限期办结"}, headers=leader
    )
    assert r.status_code == 200, r.text
    assert r.json()["escalation_level"] == 3


def test_deadline_policies_are_configurable_per_channel_and_category() -> None:
    settings = ComplaintSettings(
        deadline_policies=[
            DeadlinePolicy(kind=ComplaintKind.COMPLAINT, channel=ComplaintChannel.HOTLINE_12345, accept_days=1),
            DeadlinePolicy(kind=ComplaintKind.REPORT, category="food_safety", handle_days=10),
            DeadlinePolicy(
                kind=ComplaintKind.REPORT, channel=ComplaintChannel.NATIONAL, category="food_safety", handle_days=5
            ),
        ]
    )
    assert settings.policy(ComplaintKind.COMPLAINT, ComplaintChannel.HOTLINE_12345, "pricing").accept_days == 1
    assert settings.policy(ComplaintKind.COMPLAINT, ComplaintChannel.HOTLINE_12315, "pricing").accept_days == 7
    assert settings.policy(ComplaintKind.COMPLAINT, ComplaintChannel.HOTLINE_12315, "pricing").handle_days == 45
    assert settings.policy(ComplaintKind.REPORT, ComplaintChannel.MOBILE_APP, "food_safety").handle_days == 10
    assert settings.policy(ComplaintKind.REPORT, ComplaintChannel.NATIONAL, "food_safety").handle_days == 5
    assert settings.policy(ComplaintKind.REPORT, ComplaintChannel.NATIONAL, "drug_safety").handle_days == 15


async def test_statistics_and_hot_spots(svc: Svc) -> None:
    uscc = svc.objects["supermarket"]["uscc"]
    for text in ("超市卖的牛奶过期了还在卖", "超市的面包发霉了还在货架上", "超市熟食区苍蝇很多卫生很差"):
        await _new(svc, content=text, target={"uscc": uscc})
    hot = await svc.client.get("/v1/statistics/hotspots", params={"dimension": "object", "days": 30})
    assert hot.status_code == 200, hot.text
    top = hot.json()["items"][0]
    assert top["key"] == str(svc.objects["supermarket"]["object_id"])
    assert top["count"] >= 3
    for dimension in ("industry", "region", "category", "department", "channel", "status", "kind", "object"):
        r = await svc.client.get("/v1/statistics/summary", params={"group_by": dimension, "region_digits": 4})
        assert r.status_code == 200, (dimension, r.text)
        assert r.json()["groups"], dimension
    industry = (await svc.client.get("/v1/statistics/summary", params={"group_by": "industry"})).json()["groups"]
    assert any(g["key"] == "F5211" and g["total"] >= 3 for g in industry)
    elsewhere = svc.headers(roles=("leader",), region_code="340100")
    scoped = await svc.client.get("/v1/statistics/summary", params={"group_by": "region"}, headers=elsewhere)
    assert scoped.json()["groups"] == []


async def test_routing_accuracy_and_the_switch(svc: Svc) -> None:
    model = (await svc.client.get("/v1/routing/model")).json()
    evaluation = model["evaluation"]
    assert evaluation["examples"] >= 150
    assert evaluation["category_accuracy"] >= 0.6
    assert evaluation["category_accuracy"] > evaluation["keyword_rule_category_accuracy"]
    assert evaluation["department_accuracy"] >= 0.65
    inspector = svc.staff("qiaocheng_market")
    assert (
        await svc.client.put("/v1/routing/settings", json={"classification_enabled": False}, headers=inspector)
    ).status_code == 403
    assert (await svc.client.put("/v1/routing/settings", json={"classification_enabled": False})).status_code == 200
    try:
        c = await _new(
            svc,
            content="药店卖的降压药是假药，没有批准文号",
            target={"name": f"{svc.objects['tag']['name']}济仁堂大药房"},
        )
        assert c["routing"]["proposed_category"] is None
        assert c["routing"]["routed_by"] == "object"  # the linked object's supervising department
        assert c["department_id"] == str(svc.departments["bozhou_drugs"])
        declared = await _new(svc, content="出租车不打表乱收费，司机态度很差", category="pricing")
        assert declared["routing"]["routed_by"] == "declared"
        assert declared["department_name"] == "qiaocheng_market局"
    finally:
        await svc.client.put("/v1/routing/settings", json={"classification_enabled": True})
