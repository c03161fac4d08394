"""Department red and black lists (by decision and by rule), list queries, and the public disclosure."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pytest
from credit_helpers import LIST_CHANGED, Credit, new_object, outbox, seed

from supervision_schemas.credit import ListEntryChanged
from supervision_schemas.datahub import ObjectKind

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["credit_fixtures"]


def serious(object_id: uuid.UUID) -> dict[str, object]:
    return {
        "object_id": str(object_id),
        "record_type": "serious_violation",
        "reason": "因同一性质违法行为受到行政处罚",
        "decided_on": (date.today() - timedelta(days=10)).isoformat(),
        "department_name": "亳州市市场监督管理局",
    }


async def list_events(credit: Credit, object_id: uuid.UUID) -> list[ListEntryChanged]:
    events = await outbox(credit.url, LIST_CHANGED, str(object_id))
    return [e for e in events if isinstance(e, ListEntryChanged)]


class TestDepartmentLists:
    async def test_rule_list_follows_the_class(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        dept = uuid.uuid4()
        admin = credit.headers("department_admin", region="341600", department=dept, sub="dept-admin")
        bad, good = new_object(region="341602"), new_object(region="341602")
        await seed(credit, bad, good)
        r = await credit.client.post("/v1/records", json=serious(bad.object_id))
        record = r.json()
        r = await credit.client.post(
            "/v1/lists",
            json={"list_type": "black", "name": "重点关注名单", "criteria": "信用风险高 (D类)", "auto_classes": ["D"]},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        black = r.json()
        assert black["active_entries"] >= 1
        assert black["region_code"] == "341600"
        assert black["department_id"] == str(dept)
        entries = await credit.client.get(f"/v1/lists/{black['id']}/entries", params={"limit": 100}, headers=admin)
        listed = {e["object_id"]: e for e in entries.json()["items"]}
        assert str(bad.object_id) in listed
        assert str(good.object_id) not in listed
        entry = listed[str(bad.object_id)]
        assert entry["automatic"] is True
        assert entry["public"] is False
        [added] = [e for e in await list_events(credit, bad.object_id) if e.data.list_type == "black"]
        assert added.data.automatic is True
        assert added.data.list_id == uuid.UUID(black["id"])
        assert added.data.list_type == "black"
        assert added.data.list_name == "重点关注名单"
        # Rule-made entries do not count in the grade (no feedback loop) ...
        grade = (await credit.client.get(f"/v1/grades/{bad.object_id}")).json()
        assert "black_list" not in {f["indicator"] for f in grade["factors"]}
        # ... and leave when the class does: remove the serious-violation entry through the process.
        req = (
            await credit.client.post(
                f"/v1/records/{record['id']}/requests",
                json={"kind": "repair", "reason": "已整改"},
                headers=credit.headers("platform_admin", sub="x1"),
            )
        ).json()
        await credit.client.post(
            f"/v1/requests/{req['id']}/review",
            json={"opinion": "同意", "recommendation": "approve"},
            headers=credit.headers("platform_admin", sub="x2"),
        )
        r = await credit.client.post(
            f"/v1/requests/{req['id']}/approve",
            json={"note": "准予修复"},
            headers=credit.headers("platform_admin", sub="x3"),
        )
        assert r.status_code == 200, r.text
        actions = [(e.data.list_type, e.data.action) for e in await list_events(credit, bad.object_id)]
        assert actions == [
            ("black", "added"),
            ("serious_violation", "added"),
            ("serious_violation", "repaired"),
            ("black", "removed"),
        ] or actions == [
            ("serious_violation", "added"),
            ("black", "added"),
            ("serious_violation", "repaired"),
            ("black", "removed"),
        ]
        # Archiving the list ends its rule-made entries.
        patch = await credit.client.patch(f"/v1/lists/{black['id']}", json={"status": "archived"}, headers=admin)
        assert patch.status_code == 200, patch.text
        assert patch.json()["active_entries"] == 0

    async def test_decided_entries_count_and_can_be_queried(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        dept = uuid.uuid4()
        admin = credit.headers("department_admin", region="341602", department=dept)
        obj = new_object(region="341602", department=dept)
        await seed(credit, obj)
        red = (
            await credit.client.post(
                "/v1/lists",
                json={
                    "list_type": "red",
                    "name": "守信激励名单",
                    "department_name": "谯城区税务局",
                    "default_validity_days": 365,
                },
                headers=admin,
            )
        ).json()
        body = {"object_id": str(obj.object_id), "reason": "纳税信用A级", "decided_on": date.today().isoformat()}
        r = await credit.client.post(f"/v1/lists/{red['id']}/entries", json=body, headers=admin)
        assert r.status_code == 201, r.text
        entry = r.json()
        assert entry["record_type"] == "red_list"
        assert entry["effective_until"] == (date.today() + timedelta(days=365)).isoformat()
        again = await credit.client.post(f"/v1/lists/{red['id']}/entries", json=body, headers=admin)
        assert again.status_code == 409, again.text
        far = new_object(region="341621")
        await seed(credit, far)
        outside = await credit.client.post(
            f"/v1/lists/{red['id']}/entries", json=body | {"object_id": str(far.object_id)}
        )
        assert outside.status_code == 422, outside.text
        grade = (await credit.client.get(f"/v1/grades/{obj.object_id}")).json()
        assert grade["score"] == 90.0
        assert grade["risk_class"] == "A"
        found = await credit.client.get("/v1/grades", params={"list_id": red["id"]})
        assert [g["object_id"] for g in found.json()["items"]] == [str(obj.object_id)]
        by_type = await credit.client.get("/v1/grades", params={"list_type": "red", "uscc": obj.uscc})
        assert by_type.json()["total"] == 1
        by_class = await credit.client.get(
            "/v1/grades", params={"risk_class": "A", "region_code": "341602", "limit": 100}
        )
        assert str(obj.object_id) in {g["object_id"] for g in by_class.json()["items"]}
        dist = await credit.client.get("/v1/grades/distribution", params={"region_code": "341602"})
        assert dist.status_code == 200, dist.text
        assert sum(c["objects"] for c in dist.json()["classes"]) == dist.json()["total"]

    async def test_bad_lists_are_refused(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        admin = credit.headers("department_admin", department=uuid.uuid4())
        for body in (
            {"list_type": "grey", "name": "x名单"},
            {"list_type": "black", "name": "x名单", "auto_classes": ["d"]},
            {"list_type": "black", "name": "x名单", "region_code": "999999"},
        ):
            r = await credit.client.post("/v1/lists", json=body, headers=admin)
            assert r.status_code == 422, r.text
        no_department = await credit.client.post(
            "/v1/lists", json={"list_type": "black", "name": "无部门名单"}, headers=credit.headers("inspector")
        )
        assert no_department.status_code == 422, no_department.text


class TestPublicDisclosure:
    async def test_public_fields_only_and_no_token(self, credit_quiet: Credit) -> None:
        credit = credit_quiet
        company = new_object(region="341602")
        person = new_object(region="341602", kind=ObjectKind.NATURAL_PERSON)
        await seed(credit, company, person)
        abnormal = {
            "object_id": str(company.object_id),
            "record_type": "abnormal_operation",
            "reason": "未按规定公示年度报告",
            "decided_on": date.today().isoformat(),
            "document_number": "亳市监异〔2026〕1号",
            "department_name": "亳州市市场监督管理局",
        }
        assert (await credit.client.post("/v1/records", json=abnormal)).status_code == 201
        hidden = abnormal | {"record_type": "commendation", "reason": "内部表彰", "public": False}
        assert (await credit.client.post("/v1/records", json=hidden)).status_code == 201
        person_record = abnormal | {"object_id": str(person.object_id), "record_type": "penalty", "reason": "个人违法"}
        assert (await credit.client.post("/v1/records", json=person_record)).status_code == 201
        transport = credit.client._transport  # the same app, without the default Authorization header
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as anonymous:
            r = await anonymous.get(f"/v1/public/credit/{company.uscc}")
            assert r.status_code == 200, r.text
            body = r.json()
            assert set(body) == {"uscc", "name", "region_code", "records"}
            assert [x["record_type"] for x in body["records"]] == ["abnormal_operation"]
            assert "risk_class" not in r.text
            assert "score" not in r.text
            assert (await anonymous.get("/v1/public/credit/91341602ABCDEFGHIJ")).status_code == 422
            unknown = await anonymous.get("/v1/public/credit/91110000802100433B")
            assert unknown.status_code == 404, unknown.text
            listed = await anonymous.get(
                "/v1/public/lists/abnormal_operation", params={"region_code": "341602", "limit": 100}
            )
            assert listed.status_code == 200, listed.text
            assert company.uscc in {e["uscc"] for e in listed.json()["items"]}
            assert all(e["uscc"] for e in listed.json()["items"])
            assert (await anonymous.get("/v1/grades")).status_code == 401
            assert (await anonymous.get("/v1/records")).status_code == 401
