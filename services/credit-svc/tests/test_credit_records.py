"""Credit records over HTTP: entering them, list events, removal and repair with review and approval,
separation of duties, data scope, the audit trail; bad input refused with nothing stored."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from credit_helpers import LIST_CHANGED, Credit, new_object, outbox, query, seed

from credit_svc.dates import today as china_today
from supervision_schemas.credit import ListEntryChanged

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["credit_fixtures"]


def abnormal(object_id: uuid.UUID, **extra: object) -> dict[str, object]:
    return {
        "object_id": str(object_id),
        "record_type": "abnormal_operation",
        "reason": "通过登记的住所或者经营场所无法联系",
        "decided_on": (date.today() - timedelta(days=30)).isoformat(),
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》",
        "document_number": "亳市监异〔2026〕12号",
        "department_name": "亳州市市场监督管理局",
        **extra,
    }


class TestRecords:
    async def test_abnormal_entry_is_announced_and_lowers_the_grade(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        obj = new_object(department=credit.department)
        await seed(credit, obj)
        dept = credit.headers("department_admin", department=credit.department, sub="clerk")
        r = await credit.client.post("/v1/records", json=abnormal(obj.object_id), headers=dept)
        assert r.status_code == 201, r.text
        record = r.json()
        assert record["status"] == "active"
        assert record["department_id"] == str(credit.department)
        assert record["uscc"] == obj.uscc
        assert record["object_name"] == obj.name
        [event] = [
            e for e in await outbox(credit.url, LIST_CHANGED, str(obj.object_id)) if isinstance(e, ListEntryChanged)
        ]
        assert event.data.list_type == "abnormal_operation"
        assert event.data.action == "added"
        assert str(event.data.entry_id) == record["id"]
        assert event.data.department_name == "亳州市市场监督管理局"
        grade = (await credit.client.get(f"/v1/grades/{obj.object_id}")).json()
        assert grade["score"] == 65.0
        assert grade["risk_class"] == "C"
        assert grade["trigger"] == "record"
        assert grade["trigger_ref"] == record["id"]
        audit = await credit.client.get("/v1/audit", params={"entity_id": record["id"]})
        assert audit.status_code == 200, audit.text
        [entry] = audit.json()["items"]
        assert entry["action"] == "record.created"
        assert entry["actor"] == "clerk"
        assert entry["roles"] == ["department_admin"]
        assert entry["after"]["record_type"] == "abnormal_operation"

    async def test_serious_violation_forces_class_d(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        obj = new_object()
        await seed(credit, obj)
        body = abnormal(obj.object_id, record_type="serious_violation", reason="提交虚假材料取得登记")
        r = await credit.client.post("/v1/records", json=body)
        assert r.status_code == 201, r.text
        grade = (await credit.client.get(f"/v1/grades/{obj.object_id}")).json()
        assert grade["risk_class"] == "D"
        assert grade["factors"][0]["indicator"] == "serious_violation_list"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"record_type": "nonsense"}, "record_type"),
            ({"reason": ""}, "reason"),
            ({"decided_on": "2026-02-30"}, "decided_on"),
            ({"effective_until": "2000-01-01"}, None),
            ({"amount": "100"}, None),  # an amount on a list entry
            ({"record_type": "black_list"}, None),  # department lists take their own route
            ({"unknown": 1}, "unknown"),
        ],
    )
    async def test_bad_records_are_refused_and_nothing_is_stored(
        self, credit_quiet: Credit, change: dict[str, object], field: str | None
    ) -> None:
        credit = credit_quiet
        obj = new_object()
        await seed(credit, obj)
        r = await credit.client.post("/v1/records", json=abnormal(obj.object_id, **change))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            assert field in {str(loc) for e in r.json()["errors"] for loc in e["loc"]}
        assert await query(credit.url, "SELECT 1 FROM credit_records WHERE object_id = :o", o=obj.object_id) == []

    async def test_unknown_object_and_duplicate_source_refs(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        r = await credit.client.post("/v1/records", json=abnormal(uuid.uuid4()))
        assert r.status_code == 404, r.text
        obj = new_object()
        await seed(credit, obj)
        body = abnormal(obj.object_id, source="provincial-system", source_ref=f"ext-{uuid.uuid4()}")
        assert (await credit.client.post("/v1/records", json=body)).status_code == 201
        again = await credit.client.post("/v1/records", json=body)
        assert again.status_code == 409, again.text

    async def test_writes_outside_the_scope_are_refused(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        obj = new_object(region="341602", department=credit.department)
        await seed(credit, obj)
        other_county = credit.headers("department_admin", region="341621", department=credit.department)
        r = await credit.client.post("/v1/records", json=abnormal(obj.object_id), headers=other_county)
        assert r.status_code == 403, r.text
        leader = credit.headers("leader", region="341600")
        r = await credit.client.post("/v1/records", json=abnormal(obj.object_id), headers=leader)
        assert r.status_code == 403, r.text
        other_dept = credit.headers("inspector", department=uuid.uuid4())
        r = await credit.client.post(
            "/v1/records", json=abnormal(obj.object_id, department_id=str(credit.department)), headers=other_dept
        )
        assert r.status_code == 403, r.text
        assert await query(credit.url, "SELECT 1 FROM credit_records WHERE object_id = :o", o=obj.object_id) == []
        # Reads are limited the same way.
        mine = credit.headers("inspector", department=credit.department)
        assert (await credit.client.post("/v1/records", json=abnormal(obj.object_id), headers=mine)).status_code == 201
        seen = await credit.client.get("/v1/records", params={"object_id": str(obj.object_id)}, headers=mine)
        assert seen.json()["total"] == 1
        unseen = await credit.client.get("/v1/records", params={"object_id": str(obj.object_id)}, headers=other_county)
        assert unseen.json()["total"] == 0
        assert (await credit.client.get(f"/v1/grades/{obj.object_id}", headers=other_county)).status_code == 403
        city_leader = await credit.client.get(f"/v1/grades/{obj.object_id}", headers=leader)
        assert city_leader.status_code == 200, city_leader.text


class TestRemovalAndRepair:
    async def _entry(self, credit: Credit) -> tuple[uuid.UUID, dict[str, object]]:
        obj = new_object(department=credit.department)
        await seed(credit, obj)
        admin = credit.headers("department_admin", department=credit.department, sub="decider")
        r = await credit.client.post("/v1/records", json=abnormal(obj.object_id), headers=admin)
        assert r.status_code == 201, r.text
        return obj.object_id, r.json()

    async def test_removal_is_applied_reviewed_and_approved(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id, record = await self._entry(credit)
        applicant = credit.headers("agency_system", department=credit.department, sub="window")
        reviewer = credit.headers("inspector", department=credit.department, sub="reviewer")
        decider = credit.headers("department_admin", department=credit.department, sub="decider")
        r = await credit.client.post(
            f"/v1/records/{record['id']}/requests",
            json={
                "kind": "removal",
                "reason": "已通过登记的住所恢复联系",
                "evidence": [{"name": "住所证明", "reference": "file:abc"}],
                "applicant_name": "测试企业",
            },
            headers=applicant,
        )
        assert r.status_code == 201, r.text
        request = r.json()
        assert request["status"] == "submitted"
        # A second open request for the same record is refused; deciding before the review too.
        again = await credit.client.post(
            f"/v1/records/{record['id']}/requests", json={"kind": "removal", "reason": "再次申请"}, headers=applicant
        )
        assert again.status_code == 409, again.text
        early = await credit.client.post(
            f"/v1/requests/{request['id']}/approve", json={"note": "同意"}, headers=decider
        )
        assert early.status_code == 409, early.text
        # The applicant may not review their own request.
        own = await credit.client.post(
            f"/v1/requests/{request['id']}/review",
            json={"opinion": "材料齐全", "recommendation": "approve"},
            headers=applicant,
        )
        assert own.status_code == 403, own.text
        r = await credit.client.post(
            f"/v1/requests/{request['id']}/review",
            json={"opinion": "材料齐全", "recommendation": "approve"},
            headers=reviewer,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "under_review"
        assert r.json()["reviewed_by"] == "reviewer"
        # The reviewer may not also decide, nor may an inspector.
        same = await credit.client.post(
            f"/v1/requests/{request['id']}/approve", json={"note": "同意"}, headers=reviewer
        )
        assert same.status_code == 403, same.text
        r = await credit.client.post(
            f"/v1/requests/{request['id']}/approve", json={"note": "同意移出"}, headers=decider
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved"
        stored = (await credit.client.get(f"/v1/records/{record['id']}")).json()
        assert stored["status"] == "removed"
        assert stored["ended_on"] == china_today().isoformat()
        assert stored["end_reason"] == "同意移出"
        events = [e for e in await outbox(credit.url, LIST_CHANGED, str(object_id)) if isinstance(e, ListEntryChanged)]
        assert [e.data.action for e in events] == ["added", "removed"]
        grade = (await credit.client.get(f"/v1/grades/{object_id}")).json()
        assert grade["risk_class"] == "B"
        assert grade["previous_class"] == "C"
        trail = await credit.client.get("/v1/audit", params={"object_id": str(object_id)})
        actions = [e["action"] for e in trail.json()["items"]][::-1]
        assert actions == [
            "record.created",
            "request.removal.submitted",
            "request.removal.reviewed",
            "request.removal.approved",
            "record.removed",
        ]
        whos = {e["action"]: e["actor"] for e in trail.json()["items"]}
        assert whos["request.removal.submitted"] == "window"
        assert whos["request.removal.approved"] == "decider"
        # A finished request cannot be decided again; a removed record takes no new request.
        twice = await credit.client.post(
            f"/v1/requests/{request['id']}/refuse", json={"note": "改变主意"}, headers=decider
        )
        assert twice.status_code == 409, twice.text
        late = await credit.client.post(
            f"/v1/records/{record['id']}/requests", json={"kind": "repair", "reason": "申请修复"}, headers=applicant
        )
        assert late.status_code == 409, late.text

    async def test_refused_repair_leaves_the_record(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        object_id, record = await self._entry(credit)
        r = await credit.client.post(
            f"/v1/records/{record['id']}/requests",
            json={"kind": "repair", "reason": "已整改"},
            headers=credit.headers("inspector", department=credit.department, sub="a"),
        )
        request = r.json()
        await credit.client.post(
            f"/v1/requests/{request['id']}/review",
            json={"opinion": "整改不到位", "recommendation": "refuse"},
            headers=credit.headers("inspector", department=credit.department, sub="b"),
        )
        r = await credit.client.post(
            f"/v1/requests/{request['id']}/refuse",
            json={"note": "整改材料不足"},
            headers=credit.headers("department_admin", department=credit.department, sub="c"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "refused"
        assert r.json()["decision_note"] == "整改材料不足"
        assert (await credit.client.get(f"/v1/records/{record['id']}")).json()["status"] == "active"
        assert (await credit.client.get(f"/v1/grades/{object_id}")).json()["risk_class"] == "C"

    async def test_repair_of_a_penalty_takes_it_out_of_the_grade(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        obj = new_object(department=credit.department)
        await seed(credit, obj)
        r = await credit.client.post(
            "/v1/records",
            json={
                "object_id": str(obj.object_id),
                "record_type": "penalty",
                "reason": "未按规定公示年度报告",
                "decided_on": (date.today() - timedelta(days=400)).isoformat(),
                "amount": "5000",
            },
        )
        assert r.status_code == 201, r.text
        record = r.json()
        assert (await credit.client.get(f"/v1/grades/{obj.object_id}")).json()["risk_class"] == "C"
        removal = await credit.client.post(
            f"/v1/records/{record['id']}/requests", json={"kind": "removal", "reason": "撤销"}
        )
        assert removal.status_code == 409, removal.text  # a penalty is repaired, not removed
        request = (
            await credit.client.post(
                f"/v1/records/{record['id']}/requests",
                json={"kind": "repair", "reason": "已履行行政处罚决定"},
                headers=credit.headers("agency_system", sub="p1"),
            )
        ).json()
        await credit.client.post(
            f"/v1/requests/{request['id']}/review",
            json={"opinion": "符合修复条件", "recommendation": "approve"},
            headers=credit.headers("platform_admin", sub="p2"),
        )
        r = await credit.client.post(
            f"/v1/requests/{request['id']}/approve",
            json={"note": "准予信用修复"},
            headers=credit.headers("platform_admin", sub="p3"),
        )
        assert r.status_code == 200, r.text
        assert (await credit.client.get(f"/v1/records/{record['id']}")).json()["status"] == "repaired"
        grade = (await credit.client.get(f"/v1/grades/{obj.object_id}")).json()
        assert grade["risk_class"] == "B"
        assert grade["score"] == 85.0

    async def test_audit_trail_cannot_be_read_by_inspectors(self, credit_quiet: Credit) -> None:
        r = await credit_quiet.client.get("/v1/audit", headers=credit_quiet.headers("inspector"))
        assert r.status_code == 403, r.text
