"""The four kinds of joint work through the API, on real servers: states, timeline, notifications, events, scope."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from joint_fixtures import Dept, Joint, new_uscc
from sqlalchemy.exc import DBAPIError

pytest_plugins = ["joint_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

PDF = {"name": "营业执照.pdf", "media_type": "application/pdf", "size_bytes": 120_000, "sha256": "a" * 64}
STATUS = "gov.supervision.joint.task.status-changed.v1"


def applicant(uscc: str | None = None) -> dict[str, Any]:
    return {
        "object_type": "legal_person",
        "name": "亳州市某某大药房有限公司",
        "code": uscc or new_uscc(),
        "credential_type": "uscc",
        "region_code": "341602",
    }


def approval(dept: Dept | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "approval_no": f"SP{uuid.uuid4().hex[:10]}",
        "approval_type": "notification_commitment",
        "licence_item_name": "药品零售许可",
        "industry_code": "F5251",
        "region_code": "341602",
        "applicant": applicant(),
        "approved_at": "2026-01-05T10:00:00+08:00",
        "commitments": ["执业药师在岗", "经营场所符合 GSP"],
        "deadline_workdays": 10,
        "attachments": [PDF],
    }
    if dept is not None:
        body["department_id"] = str(dept.id)
    body.update(overrides)
    return body


async def act(joint: Joint, task_id: str, action: str, who: dict[str, str], **body: Any) -> Any:
    return await joint.client.post(f"/v1/tasks/{task_id}/actions/{action}", json=body, headers=who)


async def timeline(joint: Joint, task_id: str, who: dict[str, str]) -> list[dict[str, Any]]:
    r = await joint.client.get(f"/v1/tasks/{task_id}/timeline", params={"limit": 1000}, headers=who)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def inbox(joint: Joint, who: dict[str, str], task_id: str) -> list[dict[str, Any]]:
    r = await joint.client.get("/v1/notifications", params={"task_id": task_id, "limit": 100}, headers=who)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


class TestApprovalLinkage:
    async def test_pushed_approval_is_routed_claimed_supervised_and_fed_back(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        approving, market = joint.token(org["approval"]), joint.token(org["market"], "inspector")
        r = await joint.client.post(
            "/v1/routes",
            json={"industry_code": "F52", "region_code": "341602", "department_id": str(org["market"].id)},
            headers=joint.token(org["city"], region_code="341600"),
        )
        assert r.status_code in (201, 409), r.text  # another run may have made the same route
        r = await joint.client.post(
            "/v1/routes",
            json={
                "industry_code": "F5251",
                "item_code": "34160200000001",
                "region_code": "341602",
                "department_id": str(org["market"].id),
            },
            headers=joint.token(org["city"], region_code="341600"),
        )
        assert r.status_code in (201, 409), r.text

        body = approval(supervision_item_code="34160200000001")
        r = await joint.client.post("/v1/approval-linkages", json=body, headers=approving)
        assert r.status_code == 201, r.text
        task = r.json()
        assert task["kind"] == "approval_linkage"
        assert task["assignee_department_id"] == str(org["market"].id)
        assert (task["state"], task["national_status"], task["national_status_label"]) == (
            "pushed",
            "dispatched",
            "分发",
        )
        assert task["details"]["approval_type"] == "notification_commitment"
        assert task["requirements"] == "执业药师在岗；经营场所符合 GSP"
        assert task["deadline"] is not None
        assert task["deadline_workdays"] == 10
        assert task["objects"][0]["basis_data"]["risk_warning"] == []
        tid = task["id"]

        r = await act(joint, tid, "feed_back", market, result={"suggestion": "已核查"})
        assert r.status_code == 409, r.text
        assert r.json()["state"] == "pushed"
        assert "cannot feed_back" in r.json()["detail"]
        r = await act(joint, tid, "claim", approving)
        assert r.status_code == 403, r.text
        assert "receiving department" in r.json()["detail"]

        r = await act(joint, tid, "claim", market, comment="我局认领")
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["national_status"]) == ("claimed", "claimed")
        assert r.json()["claimed_at"] is not None
        assert set(r.json()["available_actions"]) == {"start", "feed_back"}
        assert (await act(joint, tid, "start", market)).status_code == 200
        r = await act(
            joint,
            tid,
            "feed_back",
            market,
            result={
                "suggestion": "现场核查承诺事项属实",
                "records": [{"record_type": "adm_inspection", "record_no": "JC-2026-0001"}],
            },
            attachments=[{**PDF, "name": "检查记录.pdf"}],
        )
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["national_status_label"]) == ("fed_back", "反馈")
        r = await act(joint, tid, "close", approving)
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["national_status"]) == ("closed", "ended")

        entries = await timeline(joint, tid, approving)
        assert [e["action"] for e in entries] == ["create", "claim", "start", "feed_back", "close"]
        assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
        assert entries[1]["comment"] == "我局认领"
        assert entries[1]["actor_side"] == "assignee"
        assert entries[3]["attachments"][0]["name"] == "检查记录.pdf"
        assert entries[3]["data"]["result"]["records"][0]["record_no"] == "JC-2026-0001"
        assert entries[4]["actor_side"] == "initiator"

        told = await inbox(joint, approving, tid)  # the approving department heard of every step of the receiver
        assert sorted(n["reason"] for n in told) == ["status_changed"] * 3
        assert any("反馈结果" in n["message"] for n in told)
        assert [n["reason"] for n in await inbox(joint, market, tid)] == ["status_changed", "assigned"]

        events = await joint.events_of(STATUS, task["task_no"])
        assert [(e["action"], e["national_status"]) for e in events] == [
            ("create", "dispatched"),
            ("claim", "claimed"),
            ("start", "claimed"),
            ("feed_back", "feedback"),
            ("close", "ended"),
        ]
        assert events[3]["feedback_suggestion"] == "现场核查承诺事项属实"
        assert events[3]["feedback_records"][0]["record_type"] == "adm_inspection"
        assert events[4]["end_time"] is not None
        assert events[4]["claim_time"] is not None

    async def test_the_same_approval_pushed_twice_makes_one_task(self, joint: Joint, org: dict[str, Dept]) -> None:
        body = approval(org["market"])
        who = joint.token(org["approval"])
        first = await joint.client.post("/v1/approval-linkages", json=body, headers=who)
        assert first.status_code == 201, first.text
        again = await joint.client.post("/v1/approval-linkages", json=body, headers=who)
        assert again.status_code == 409, again.text
        assert again.json()["task_no"] == first.json()["task_no"]

    async def test_a_returned_approval_is_rerouted_by_the_approving_department(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        approving, health = joint.token(org["approval"]), joint.token(org["health"])
        r = await joint.client.post("/v1/approval-linkages", json=approval(org["health"]), headers=approving)
        tid = r.json()["id"]
        r = await act(joint, tid, "return", health)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "reason"]
        r = await act(joint, tid, "return", health, reason="药品零售不属我委监管")
        assert (r.json()["state"], r.json()["national_status"], r.json()["end_reason"]) == (
            "returned",
            "ended",
            "药品零售不属我委监管",
        )
        r = await act(joint, tid, "reroute", approving, department_id=str(org["market"].id))
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["assignee_department_id"]) == ("pushed", str(org["market"].id))
        assert r.json()["ended_at"] is None
        assert r.json()["end_reason"] is None
        assert [n["reason"] for n in await inbox(joint, joint.token(org["market"]), tid)] == ["assigned"]
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=health)
        assert r.status_code == 404, r.text  # no longer theirs

    async def test_bad_input_is_refused_and_nothing_is_stored(self, joint: Joint, org: dict[str, Dept]) -> None:
        who = joint.token(org["approval"])
        before = await joint.scalar("SELECT count(*) FROM joint_tasks")
        cases = [
            (approval(industry_code="P83"), 422, ["body", "department_id"]),  # no route names a supervisor
            (approval(org["market"], commitments=[]), 422, None),  # 告知承诺 without the pledges
            (
                approval(org["market"], deadline_workdays=None, deadline=str(date.today() - timedelta(days=2))),
                422,
                ["body", "deadline"],
            ),
            (
                approval(org["market"], attachments=[{**PDF, "media_type": "application/x-msdownload"}]),
                422,
                ["body", "attachments", 0, "media_type"],
            ),
            (
                approval(org["market"], attachments=[{**PDF, "size_bytes": 60 * 1024 * 1024}]),
                422,
                ["body", "attachments", 0, "size_bytes"],
            ),
            (approval(org["market"], approved_at="2099-01-01T00:00:00+08:00"), 422, ["body", "approved_at"]),
            (approval(department_id=str(uuid.uuid4())), 422, ["body", "department_id"]),
            (approval(org["market"], surprise=1), 422, None),
        ]
        for body, status, loc in cases:
            r = await joint.client.post("/v1/approval-linkages", json=body, headers=who)
            assert r.status_code == status, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            if loc is not None:
                assert loc in [e["loc"] for e in r.json()["errors"]], r.text
        assert await joint.scalar("SELECT count(*) FROM joint_tasks") == before

        r = await joint.client.post("/v1/approval-linkages", json=approval(org["market"]), headers=who)
        tid = r.json()["id"]
        market = joint.token(org["market"])
        r = await act(joint, tid, "claim", market, progress=50)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "progress"], r.text
        r = await act(joint, tid, "claim", market, attachments=[{**PDF, "media_type": "text/html"}])
        assert r.status_code == 422, r.text
        r = await act(joint, tid, "fly", market)
        assert r.status_code == 422, r.text
        r = await act(joint, str(uuid.uuid4()), "claim", market)
        assert r.status_code == 404, r.text
        assert (await timeline(joint, tid, market))[-1]["action"] == "create"  # nothing happened

    async def test_a_leader_reads_the_region_and_changes_nothing(self, joint: Joint, org: dict[str, Dept]) -> None:
        r = await joint.client.post(
            "/v1/approval-linkages", json=approval(org["market"]), headers=joint.token(org["approval"])
        )
        tid = r.json()["id"]
        city_leader = joint.token(None, "leader", region_code="341600")
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=city_leader)
        assert r.status_code == 200, r.text
        assert r.json()["available_actions"] == []
        r = await act(joint, tid, "claim", city_leader)
        assert r.status_code == 403, r.text
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=joint.token(None, "leader", region_code="320000"))
        assert r.status_code == 404, r.text
        for who, status in (
            (city_leader, 200),
            (joint.token(None, "leader", region_code="320000"), 404),
            (joint.token(None, "auditor", region_code="000000"), 200),
            (joint.token(org["ecology"]), 404),
            (joint.token(org["approval"], "inspector"), 200),
            (joint.token(None, "inspector", region_code="341602"), 403),  # no department in the token
        ):
            r = await joint.client.get(f"/v1/tasks/{tid}/timeline", headers=who)
            assert r.status_code == status, r.text
        r = await joint.client.get(f"/v1/tasks/{tid}/timeline", params={"after": 1}, headers=city_leader)
        assert r.json()["items"] == []
        assert r.json()["total"] == 1
        assert r.json()["next_after"] is None
        r = await joint.client.get(f"/v1/tasks/{tid}", headers=joint.token(org["ecology"]))
        assert r.status_code == 404, r.text
        r = await joint.client.get("/v1/tasks", params={"limit": 100}, headers=joint.token(org["ecology"]))
        assert tid not in [t["id"] for t in r.json()["items"]]
        r = await joint.client.get(
            "/v1/tasks", params={"role": "received", "limit": 100}, headers=joint.token(org["market"])
        )
        assert tid in [t["id"] for t in r.json()["items"]]
        assert all(t["assignee_department_id"] == str(org["market"].id) for t in r.json()["items"])
        r = await joint.client.get(
            "/v1/tasks", params={"role": "initiated", "limit": 100}, headers=joint.token(org["market"])
        )
        assert tid not in [t["id"] for t in r.json()["items"]]

    async def test_the_timeline_is_append_only(self, joint: Joint, org: dict[str, Dept]) -> None:
        r = await joint.client.post(
            "/v1/approval-linkages", json=approval(org["market"]), headers=joint.token(org["approval"])
        )
        tid = r.json()["id"]
        r = await joint.client.post(
            f"/v1/tasks/{tid}/comments",
            json={"comment": "请尽快核查", "attachments": [PDF]},
            headers=joint.token(org["approval"]),
        )
        assert r.status_code == 201, r.text
        assert r.json() == {"seq": 2}
        async with joint.engine.connect() as conn:
            for sql in (
                "UPDATE joint_task_events SET comment = 'changed' WHERE task_id = :t",
                "DELETE FROM joint_task_events WHERE task_id = :t",
            ):
                with pytest.raises(DBAPIError, match="append-only"):
                    await conn.exec_driver_sql(sql.replace(":t", f"'{tid}'"))
                await conn.rollback()
        entries = await timeline(joint, tid, joint.token(org["market"]))
        assert [e["comment"] for e in entries] == [None, "请尽快核查"]
        r = await joint.client.get(f"/v1/tasks/{tid}/timeline", params={"limit": 1}, headers=joint.token(org["market"]))
        assert ([e["seq"] for e in r.json()["items"]], r.json()["next_after"]) == ([1], 1)
        r = await joint.client.get(
            f"/v1/tasks/{tid}/timeline", params={"after": 1, "limit": 1}, headers=joint.token(org["market"])
        )
        assert ([e["seq"] for e in r.json()["items"]], r.json()["next_after"]) == ([2], None)
        assert r.json()["items"][0]["attachments"][0]["sha256"] == PDF["sha256"]
        r = await joint.client.get(
            f"/v1/tasks/{tid}/timeline", params={"limit": 1001}, headers=joint.token(org["market"])
        )
        assert r.status_code == 422, r.text
        told = await inbox(joint, joint.token(org["market"]), tid)
        assert {n["reason"] for n in told} == {"assigned", "commented"}


class TestLeadForwarding:
    async def test_a_lead_sent_to_two_departments_is_received_handled_and_fed_back(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        sender = joint.token(org["market"])
        r = await joint.client.post(
            "/v1/lead-forwardings",
            json={
                "recipients": [str(org["health"].id), str(org["ecology"].id)],
                "lead_type": "case_lead",
                "case_no": "谯市监案〔2026〕12号",
                "title": "某诊所涉嫌非法行医线索",
                "content": "检查中发现该诊所无《医疗机构执业许可证》开展诊疗活动。",
                "objects": [applicant()],
                "deadline_workdays": 5,
            },
            headers=sender,
        )
        assert r.status_code == 201, r.text
        tasks = {t["assignee_department_id"]: t for t in r.json()}
        assert set(tasks) == {str(org["health"].id), str(org["ecology"].id)}
        assert {t["state"] for t in tasks.values()} == {"sent"}
        health_task, eco_task = tasks[str(org["health"].id)], tasks[str(org["ecology"].id)]
        health, eco = joint.token(org["health"]), joint.token(org["ecology"])

        assert (await act(joint, health_task["id"], "receive", health)).status_code == 200
        r = await act(joint, health_task["id"], "complete", health, result={"suggestion": "已立案调查"})
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["national_status"]) == ("fed_back", "feedback")
        told = await inbox(joint, sender, health_task["id"])
        assert any("办理完毕并反馈" in n["message"] for n in told)  # the automatic feedback

        r = await act(joint, eco_task["id"], "return", eco, reason="不属环保职责")
        assert r.json()["state"] == "returned"
        r = await act(joint, eco_task["id"], "reroute", sender, department_id=str(org["approval"].id))
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "sent", r.text
        r = await act(joint, health_task["id"], "receive", health)
        assert r.status_code == 409, r.text
        assert r.json()["state"] == "fed_back", r.text


class TestAssistance:
    async def test_a_declined_request_tells_the_requester_why(self, joint: Joint, org: dict[str, Dept]) -> None:
        requester, helper = joint.token(org["market"]), joint.token(org["health"])
        body = {
            "department_id": str(org["health"].id),
            "assistance_type": "investigation",
            "title": "协查某诊所执业资质",
            "content": "请协助核查该诊所医师执业资格。",
        }
        r = await joint.client.post("/v1/assistance-requests", json=body, headers=requester)
        assert r.status_code == 201, r.text
        tid = r.json()["id"]
        assert (await act(joint, tid, "decline", helper)).status_code == 422
        r = await act(joint, tid, "decline", helper, reason="该诊所不在本辖区")
        assert (r.json()["state"], r.json()["national_status"]) == ("declined", "ended")
        told = await inbox(joint, requester, tid)
        assert len(told) == 1
        assert "拒绝协助" in told[0]["message"]
        assert (await timeline(joint, tid, requester))[-1]["data"]["reason"] == "该诊所不在本辖区"

        r = await joint.client.post("/v1/assistance-requests", json=body, headers=requester)
        tid = r.json()["id"]
        for action, extra in (("accept", {}), ("start", {}), ("submit_result", {"result": {"suggestion": "资质齐全"}})):
            r = await act(joint, tid, action, helper, **extra)
            assert r.status_code == 200, r.text
        assert r.json()["state"] == "fed_back"
        r = await act(joint, tid, "reject_feedback", requester, reason="请补充执业证书复印件")
        assert r.json()["state"] == "assisting"
        assert r.json()["fed_back_at"] is None
        r = await act(joint, tid, "submit_result", helper, result={"suggestion": "已补充"}, attachments=[PDF])
        assert r.status_code == 200, r.text
        r = await act(joint, tid, "confirm", requester)
        assert (r.json()["state"], r.json()["national_status"]) == ("closed", "ended")

    async def test_a_department_does_not_ask_itself(self, joint: Joint, org: dict[str, Dept]) -> None:
        r = await joint.client.post(
            "/v1/assistance-requests",
            json={
                "department_id": str(org["market"].id),
                "assistance_type": "co_handling",
                "title": "x",
                "content": "y",
            },
            headers=joint.token(org["market"]),
        )
        assert r.status_code == 422, r.text


class TestCampaign:
    async def test_a_campaign_distributes_tasks_follows_progress_and_is_summarised(
        self, joint: Joint, org: dict[str, Dept]
    ) -> None:
        lead = joint.token(org["city"], region_code="341600")
        r = await joint.client.post(
            "/v1/campaigns",
            json={
                "title": "2026 年药品安全专项整治",
                "scope": "全区药品零售企业",
                "region_code": "341600",
                "departments": [str(org["market"].id), str(org["health"].id)],
                "industry_codes": ["F5251"],
                "objects": [applicant(), applicant()],
                "deadline_workdays": 20,
            },
            headers=lead,
        )
        assert r.status_code == 201, r.text
        campaign = r.json()
        assert (campaign["state"], campaign["national_status"]) == ("draft", None)
        cid = campaign["id"]
        r = await act(joint, cid, "launch", lead)
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["national_status"]) == ("launched", "dispatched")

        r = await joint.client.get("/v1/tasks", params={"parent_id": cid}, headers=lead)
        children = {t["assignee_department_id"]: t for t in r.json()["items"]}
        assert len(children) == 2
        assert {t["kind"] for t in children.values()} == {"campaign_task"}
        assert all(
            len(t["objects"]) == 2 and t["deadline"] == r.json()["items"][0]["deadline"] for t in children.values()
        )
        market_task, health_task = children[str(org["market"].id)], children[str(org["health"].id)]
        market, health = joint.token(org["market"]), joint.token(org["health"])

        r = await act(joint, cid, "summarise", lead, result={"suggestion": "总结"})
        assert r.status_code == 409, r.text
        assert r.json()["open_tasks"] == 2, r.text
        assert (await act(joint, market_task["id"], "claim", market)).status_code == 200
        r = await joint.client.get(f"/v1/tasks/{cid}", headers=lead)
        assert r.json()["state"] == "in_progress"  # its first task was claimed
        r = await act(joint, market_task["id"], "report_progress", market, progress=60, comment="已检查 12 家")
        assert (r.json()["state"], r.json()["progress"]) == ("in_progress", 60)
        r = await act(joint, health_task["id"], "decline", health, reason="不涉及卫健职责")
        assert r.status_code == 200, r.text
        r = await joint.client.get(f"/v1/tasks/{cid}/progress", headers=lead)
        assert r.status_code == 200, r.text
        progress = r.json()
        assert progress["tasks"] == 2
        assert progress["by_state"] == {"in_progress": 1, "declined": 1}
        assert progress["average_progress"] == 30.0
        r = await act(joint, market_task["id"], "complete", market, result={"suggestion": "检查 20 家，立案 2 起"})
        assert r.json()["progress"] == 100
        r = await act(joint, cid, "summarise", lead, result={"suggestion": "专项整治完成"})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "summarised", r.text
        r = await act(joint, cid, "close", lead)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "closed", r.text
        r = await joint.client.get(f"/v1/tasks/{market_task['id']}", headers=market)
        assert r.json()["state"] == "closed"  # closed with its campaign
        r = await joint.client.get(f"/v1/tasks/{market_task['id']}/progress", headers=market)
        assert r.status_code == 409, r.text
        told = await inbox(joint, lead, market_task["id"])
        assert {"认领", "报告进展", "办理完毕并反馈"} <= {
            m for n in told for m in ("认领", "报告进展", "办理完毕并反馈") if m in n["message"]
        }

    async def test_a_campaign_needs_a_deadline_and_known_departments(self, joint: Joint, org: dict[str, Dept]) -> None:
        lead = joint.token(org["city"], region_code="341600")
        body = {"title": "x", "scope": "y", "region_code": "341600", "departments": [str(org["market"].id)]}
        r = await joint.client.post("/v1/campaigns", json=body, headers=lead)
        assert r.status_code == 422, r.text
        r = await joint.client.post(
            "/v1/campaigns", json={**body, "departments": [str(uuid.uuid4())], "deadline_workdays": 5}, headers=lead
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "departments.0"], r.text
        r = await joint.client.post(
            "/v1/campaigns", json={**body, "region_code": "320000", "deadline_workdays": 5}, headers=lead
        )
        assert r.status_code == 403, r.text


class TestMachinesAndNotifications:
    async def test_the_machines_are_published(self, joint: Joint, org: dict[str, Dept]) -> None:
        r = await joint.client.get("/v1/machines", headers=joint.token(org["market"]))
        assert r.status_code == 200, r.text
        machines = {m["kind"]: m for m in r.json()}
        assert set(machines) == {
            "approval_linkage",
            "lead_forwarding",
            "assistance",
            "campaign",
            "campaign_task",
            "disposal",
        }
        assert machines["approval_linkage"]["states"]["pushed"] == "dispatched"
        claim = next(t for t in machines["disposal"]["transitions"] if t["action"] == "claim")
        assert claim == {
            "action": "claim",
            "from_states": ["dispatched"],
            "to_state": "claimed",
            "taken_by": "assignee",
            "requires": [],
        }

    async def test_a_department_marks_its_own_notifications_read(self, joint: Joint, org: dict[str, Dept]) -> None:
        r = await joint.client.post(
            "/v1/approval-linkages", json=approval(org["market"]), headers=joint.token(org["approval"])
        )
        tid = r.json()["id"]
        market = joint.token(org["market"])
        [n] = await inbox(joint, market, tid)
        r = await joint.client.post(f"/v1/notifications/{n['id']}/read", headers=joint.token(org["health"]))
        assert r.status_code == 404, r.text
        r = await joint.client.post(f"/v1/notifications/{n['id']}/read", headers=market)
        assert r.status_code == 200, r.text
        assert r.json()["read_at"] is not None, r.text
        r = await joint.client.get("/v1/notifications", params={"unread": True, "task_id": tid}, headers=market)
        assert r.json()["total"] == 0
        r = await joint.client.get(
            "/v1/notifications", params={"department_id": str(org["market"].id)}, headers=joint.token(org["health"])
        )
        assert r.status_code == 403, r.text
