"""Data quality: rules per library, errors fed back to the providing department (events and API), corrections
tracked until fixed, dismissals with a reason, refused file rows, scores per department."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from datahub_helpers import Hub
from sqlalchemy import select, text

from supervision_schemas.identifiers import uscc_check_char
from svc_runtime.cloudevents import from_kafka
from svc_runtime.outbox import OutboxEvent
from svc_runtime.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]


def new_uscc() -> str:
    first17 = f"91341602MA{uuid.uuid4().int % 10**7:07d}"
    return first17 + uscc_check_char(first17)


def department() -> tuple[str, dict[str, str]]:
    dept = str(uuid.uuid4())
    return dept, {"roles": ("department_admin",), "region_code": "341600", "department_id": dept}  # type: ignore[dict-item]


async def quality_events(hub: Hub, event_type: str, department_id: str) -> list[Any]:
    async with hub.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OutboxEvent.__table__).where(
                    OutboxEvent.event_type == event_type, OutboxEvent.key == department_id
                )
            )
        ).all()
    return [from_kafka(r.payload, [(k, v.encode()) for k, v in r.headers.items()]) for r in rows]


class TestObjectRules:
    async def test_errors_go_back_to_the_provider_and_close_when_corrected(self, hub: Hub) -> None:
        dept, claims = department()
        provider = hub.auth(**claims)
        name = f"质量测试{uuid.uuid4().hex[:6]}商店"
        r = await hub.client.post(
            "/v1/objects", json={"kind": "legal_person", "name": name, "region_code": "341602"}, headers=provider
        )
        assert r.status_code == 201, r.text
        object_id = r.json()["id"]
        errors = (await hub.client.get("/v1/quality/errors", params={"record_id": object_id}, headers=provider)).json()
        assert {e["rule"] for e in errors["items"]} == {
            "objects.completeness.uscc",
            "objects.completeness.legal_representative",
            "objects.completeness.address",
            "objects.completeness.industry_code",
        }
        assert {e["provider_department_id"] for e in errors["items"]} == {dept}
        raised = await quality_events(hub, "gov.supervision.datahub.quality.error.raised.v1", dept)
        assert {e.data.rule for e in raised} >= {"objects.completeness.address"}  # type: ignore[attr-defined]
        # Another department does not see them.
        _, other = department()
        assert (
            await hub.client.get("/v1/quality/errors", params={"record_id": object_id}, headers=hub.auth(**other))
        ).json()["total"] == 0

        r = await hub.client.post(
            "/v1/objects",
            json={
                "kind": "legal_person",
                "name": name,
                "region_code": "341602",
                "legal_representative": "赵六",
                "address": "谯城区人民路 5 号",
                "industry_code": "F52",
            },
            headers=provider,
        )
        assert r.status_code == 200, r.text
        still_open = (
            await hub.client.get("/v1/quality/errors", params={"record_id": object_id}, headers=provider)
        ).json()
        assert [e["rule"] for e in still_open["items"]] == ["objects.completeness.uscc"]
        fixed = (
            await hub.client.get(
                "/v1/quality/errors", params={"record_id": object_id, "status": "fixed"}, headers=provider
            )
        ).json()
        assert len(fixed["items"]) == 3
        resolved = await quality_events(hub, "gov.supervision.datahub.quality.error.resolved.v1", dept)
        assert {e.data.resolution for e in resolved} == {"fixed"}  # type: ignore[attr-defined]

        error_id = still_open["items"][0]["id"]
        dismissed = await hub.client.post(
            f"/v1/quality/errors/{error_id}/dismiss", json={"note": "个体工商户, 无统一社会信用代码"}, headers=provider
        )
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["status"] == "dismissed"
        again = await hub.client.post(f"/v1/quality/errors/{error_id}/dismiss", json={"note": "再次"}, headers=provider)
        assert again.status_code == 409

    async def test_rules_are_listed_per_library(self, hub: Hub) -> None:
        rules = (await hub.client.get("/v1/quality/rules", params={"library": "behaviour"})).json()
        assert {r["dimension"] for r in rules} == {"completeness", "validity", "timeliness"}


class TestBehaviourTimeliness:
    async def test_a_late_report_is_a_timeliness_error_and_a_recheck_keeps_it(self, hub: Hub) -> None:
        dept, claims = department()
        provider = hub.auth(**claims)
        acted = datetime.now(UTC) - timedelta(days=30)
        r = await hub.client.post(
            "/v1/behaviour-records",
            json={
                "record_type": "inspection",
                "record_code": uuid.uuid4().hex,
                "item_code": "34160000000001",
                "implementing_agency": "亳州市市场监督管理局",
                "object_name": "迟报测试店",
                "object_uscc": new_uscc(),
                "region_code": "341602",
                "acted_on": acted.date().isoformat(),
                "reported_at": datetime.now(UTC).isoformat(),
                "officers": ["王五", "赵六"],
                "certificate_numbers": ["34160001"],
            },
            headers=provider,
        )
        assert r.status_code == 201, r.text
        record_id = r.json()["items"][0]["id"]
        errors = (await hub.client.get("/v1/quality/errors", params={"record_id": record_id}, headers=provider)).json()
        rules = {e["rule"]: e for e in errors["items"]}
        assert {
            "behaviour.timeliness.reported_late",
            "behaviour.validity.certificate_numbers",
            "behaviour.completeness.inspection_list_code",
        } <= set(rules)
        late = rules["behaviour.timeliness.reported_late"]
        rechecked = await hub.client.post(f"/v1/quality/errors/{late['id']}/recheck", headers=provider)
        assert rechecked.status_code == 200, rechecked.text
        assert rechecked.json()["status"] == "open"
        scores = (await hub.client.get("/v1/quality/scores", params={"library": "behaviour"}, headers=provider)).json()
        mine = [s for s in scores if s["department_id"] == dept]
        assert mine
        assert mine[0]["records"] == 1
        assert mine[0]["timeliness"] == 0.0
        assert mine[0]["completeness"] == 0.0
        assert mine[0]["validity"] == 0.0


class TestRefusedRows:
    async def test_refused_file_rows_are_errors_of_the_uploader_until_sent_correctly(self, hub: Hub) -> None:
        dept, claims = department()
        provider = hub.auth(**claims)
        name = f"退回测试{uuid.uuid4().hex[:6]}药店"
        code = new_uscc()
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
        header = "对象类型,企业名称,统一社会信用代码,法定代表人,住所,行政区划代码,行业代码\n"
        content = f"{header}法人,{name},{wrong},王五,谯城区,341602,F52\n".encode()
        job = await run_job(hub, content, provider)
        assert (job["rows_rejected"], job["status"]) == (1, "succeeded"), job
        errors = (await hub.client.get("/v1/quality/errors", params={"job_id": job["id"]}, headers=provider)).json()
        assert [(e["rule"], e["field"], e["row_number"]) for e in errors["items"]] == [
            ("objects.validity.rejected_row", "uscc", 2)
        ]
        job = await run_job(hub, f"{header}法人,{name},{code},王五,谯城区,341602,F52\n".encode(), provider)
        assert job["created"] == 1, job
        after = (
            await hub.client.get(
                "/v1/quality/errors",
                params={"job_id": errors["items"][0]["job_id"], "status": "fixed"},
                headers=provider,
            )
        ).json()
        assert after["total"] == 1
        assert after["items"][0]["resolved_by"] == "corrected record"


async def run_job(hub: Hub, content: bytes, headers: dict[str, str]) -> dict[str, Any]:
    r = await hub.client.post("/v1/ingest-jobs", files={"file": ("objects.csv", content)}, headers=headers)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]

    async def finished() -> dict[str, Any] | None:
        job = (await hub.client.get(f"/v1/ingest-jobs/{job_id}", headers=headers)).json()
        return job if job["status"] in ("succeeded", "failed") else None

    return await eventually(finished, timeout=60)


async def test_scans_recheck_a_library_for_a_region(hub: Hub) -> None:
    r = await hub.client.post("/v1/quality/scans", json={"library": "objects"})
    assert r.status_code == 200, r.text
    assert r.json()["library"] == "objects"
    assert (await hub.client.post("/v1/quality/scans", json={"library": "nope"})).status_code == 422
    leader = hub.auth(roles=("leader",), region_code="341600")
    assert (await hub.client.post("/v1/quality/scans", json={"library": "objects"}, headers=leader)).status_code == 403
    async with hub.engine.connect() as conn:
        duplicates = await conn.scalar(
            text(
                "SELECT count(*) FROM (SELECT rule, record_ref FROM quality_errors WHERE status = 'open' "
                "GROUP BY 1, 2 HAVING count(*) > 1) d"
            )
        )
    assert duplicates == 0
