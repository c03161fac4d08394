"""Data sharing: queries and exports limited by data scope, personal data masked by role, every access in an
append-only log."""

from __future__ import annotations

import csv
import io
import uuid

import orjson
import pytest
from datahub_helpers import Hub
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]


async def person(hub: Hub, region: str = "341602") -> str:
    body = {
        "kind": "natural_person",
        "name": "共享测试人",
        "id_number": "11010519491231002x",
        "phone": "13800138000",
        "region_code": region,
        "attributes": {"role": "lawyer"},
    }
    r = await hub.client.post("/v1/objects", json=body)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


async def log_entries(hub: Hub, subject: str) -> list[dict[str, object]]:
    async with hub.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT * FROM access_log WHERE subject = :s ORDER BY id"), {"s": subject})
        ).all()
    return [dict(r._mapping) for r in rows]


class TestQuery:
    async def test_agency_systems_get_masked_scoped_records_and_the_access_is_logged(self, hub: Hub) -> None:
        object_id = await person(hub)
        subject = f"agency-{uuid.uuid4().hex[:6]}"
        dept = str(uuid.uuid4())
        token = hub.issuer.token(subject, roles=("agency_system",), region_code="341600", department_id=dept)
        agency = {"authorization": f"Bearer {token}"}
        r = await hub.client.get(
            "/v1/sharing/datasets/objects/records", params={"object_id": object_id}, headers=agency
        )
        assert r.status_code == 200, r.text
        item = r.json()["items"][0]
        assert (item["id_number"], item["phone"]) == ("110105********002X", "138****8000")
        inspector = hub.auth(roles=("inspector",), region_code="341600", department_id=dept)
        full = (
            await hub.client.get(
                "/v1/sharing/datasets/objects/records", params={"object_id": object_id}, headers=inspector
            )
        ).json()
        assert full["items"][0]["id_number"] == "11010519491231002X"
        token = hub.issuer.token(subject, roles=("agency_system",), region_code="340100", department_id=dept)
        elsewhere = {"authorization": f"Bearer {token}"}
        no_department = {
            "authorization": f"Bearer {hub.issuer.token(subject, roles=('agency_system',), region_code='341600')}"
        }
        assert (await hub.client.get("/v1/sharing/datasets/objects/records", headers=no_department)).status_code == 403
        none = (
            await hub.client.get(
                "/v1/sharing/datasets/objects/records", params={"object_id": object_id}, headers=elsewhere
            )
        ).json()
        assert none["total"] == 0
        entries = await log_entries(hub, subject)
        assert [(e["action"], e["dataset"], e["records"], e["masked"]) for e in entries] == [
            ("query", "objects", 1, True),
            ("query", "objects", 0, True),
        ]
        assert entries[0]["filters"] == {"object_id": object_id}

    async def test_datasets_are_described_and_unknown_ones_refused(self, hub: Hub) -> None:
        datasets = {d["name"]: d for d in (await hub.client.get("/v1/sharing/datasets")).json()}
        assert set(datasets) == {"objects", "behaviour", "personnel", "complaints", "credit", "thirdparty", "knowledge"}
        assert datasets["complaints"]["personal_fields"] == ["complainant_name", "complainant_phone"]
        assert (await hub.client.get("/v1/sharing/datasets/secrets/records")).status_code == 404


class TestExport:
    async def test_exports_stream_jsonl_and_csv_masked_and_logged(self, hub: Hub) -> None:
        await person(hub)
        subject = f"export-{uuid.uuid4().hex[:6]}"
        headers = {"authorization": f"Bearer {hub.issuer.token(subject, roles=('leader',), region_code='341600')}"}
        r = await hub.client.get(
            "/v1/sharing/datasets/objects/export", params={"format": "jsonl", "max_rows": 5}, headers=headers
        )
        assert r.status_code == 200, r.text
        lines = [orjson.loads(line) for line in r.content.splitlines()]
        assert 1 <= len(lines) <= 5
        assert all(x["region_code"].startswith("3416") for x in lines)
        assert all(x["id_number"] is None or "*" in x["id_number"] for x in lines)
        r = await hub.client.get("/v1/sharing/datasets/objects/export", params={"format": "csv"}, headers=headers)
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows
        assert "uscc" in rows[0]
        entries = await log_entries(hub, subject)
        assert [e["action"] for e in entries] == ["export", "export"]
        assert entries[0]["records"] == len(lines)


class TestAccessLog:
    async def test_only_auditors_and_leaders_read_it_and_nobody_changes_it(self, hub: Hub) -> None:
        object_id = await person(hub)
        assert (await hub.client.get(f"/v1/objects/{object_id}/profile")).status_code == 200
        auditor = hub.auth(roles=("auditor",), region_code="100000")
        log = (await hub.client.get("/v1/sharing/access-log", params={"dataset": "objects"}, headers=auditor)).json()
        assert any(e["action"] == "profile" and e["record_ref"] == object_id for e in log["items"])
        inspector = hub.auth(roles=("inspector",), region_code="341600")
        assert (await hub.client.get("/v1/sharing/access-log", headers=inspector)).status_code == 403
        async with hub.engine.connect() as conn:
            for statement in ("UPDATE access_log SET records = 0", "DELETE FROM access_log", "TRUNCATE access_log"):
                with pytest.raises(DBAPIError, match="append-only"):
                    await conn.execute(text(statement))
                await conn.rollback()
