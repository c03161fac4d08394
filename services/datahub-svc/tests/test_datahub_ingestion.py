"""Batch files: encodings, the traps providers send, partial acceptance, error reports and idempotent re-runs."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from datahub_helpers import Hub
from sqlalchemy import text

from supervision_schemas.identifiers import uscc_check_char as uscc_check
from svc_runtime.testing import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")
pytest_plugins = ["datahub_fixtures"]

DATA = Path(__file__).parent / "data"
HEADER = "对象类型,企业名称,统一社会信用代码,法定代表人,住所,行政区划代码,联系电话,成立日期,注册资本,信用等级\n"


def uscc(n: int) -> str:
    first17 = f"91341602MA{n:07d}"
    return first17 + uscc_check(first17)


def company_rows(start: int, count: int) -> str:
    return "".join(
        f"法人,亳州市测试{n}号药房有限公司,{uscc(n)},王{n},亳州市谯城区{n}号,341602,0558-5{n % 1000000:06d},"
        f"2019/3/{n % 28 + 1},{n}万元,A\n"
        for n in range(start, start + count)
    )


async def run_job(hub: Hub, content: bytes, filename: str = "objects.csv", **form: Any) -> dict[str, Any]:
    r = await hub.client.post("/v1/ingest-jobs", files={"file": (filename, content)}, data=form)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]

    async def finished() -> dict[str, Any] | None:
        job = (await hub.client.get(f"/v1/ingest-jobs/{job_id}")).json()
        return job if job["status"] in ("succeeded", "failed") else None

    return await eventually(finished, timeout=60)


async def errors_csv(hub: Hub, job_id: str) -> list[dict[str, str]]:
    r = await hub.client.get(f"/v1/ingest-jobs/{job_id}/errors.csv")
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


async def object_count(hub: Hub) -> int:
    async with hub.engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM supervised_objects")) or 0)


class TestEncodings:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
    async def test_reads_utf8_bom_and_gbk(self, hub: Hub, encoding: str) -> None:
        start = {"utf-8": 1000, "utf-8-sig": 2000, "gbk": 3000}[encoding]
        job = await run_job(hub, (HEADER + company_rows(start, 5)).encode(encoding))
        assert job["status"] == "succeeded", job
        assert (job["rows_read"], job["rows_accepted"], job["created"]) == (5, 5, 5)
        listed = (await hub.client.get("/v1/objects", params={"uscc": uscc(start)})).json()
        assert listed["items"][0]["name"] == f"亳州市测试{start}号药房有限公司"
        assert listed["items"][0]["attributes"]["registered_capital"] == f"{start * 10000}.00"


class TestTraps:
    async def test_bad_rows_are_reported_good_rows_kept_and_rerun_changes_nothing(self, hub: Hub) -> None:
        good = company_rows(5000, 3)
        bad = (
            f"法人,坏代码公司,{uscc(5100)[:-1]}X,李,地址,341602,,2020-01-01,1万元,A\n"  # wrong check character
            "法人,坏日期公司,,李,地址,341602,,2023-02-29,1万元,A\n"  # impossible date
            "法人,缺列公司,,李\n"  # missing columns
            f'法人,"未闭合引号公司,{uscc(5101)},李,地址,341602,,2020-01-01,1万元,A\n'  # broken quoting
        )
        content = (HEADER + good + bad.replace("未闭合", "X" * 10) + company_rows(5003, 1)).encode()
        before = await object_count(hub)
        job = await run_job(hub, content)
        assert job["status"] == "succeeded", job
        assert job["rows_rejected"] >= 3, job
        assert job["created"] >= 3, job
        report = await errors_csv(hub, job["id"])
        reasons = {(e["row"], e["field"]) for e in report}
        assert ("5", "uscc") in reasons, report
        assert ("6", "established_on") in reasons, report
        assert ("7", "row") in reasons, report
        stored = await object_count(hub)
        assert stored - before == job["created"]

        again = await run_job(hub, content)
        assert again["status"] == "succeeded", again
        assert again["created"] == again["updated"] == 0
        assert again["unchanged"] == job["created"] + job["updated"]
        assert await object_count(hub) == stored

    async def test_gigantic_cell_is_a_row_error(self, hub: Hub) -> None:
        content = (HEADER + f"法人,{'大' * 200_000},,李,地址,341602,,,,\n" + company_rows(6000, 1)).encode()
        job = await run_job(hub, content)
        assert job["status"] == "succeeded", job
        assert job["rows_accepted"] == 1
        report = await errors_csv(hub, job["id"])
        assert report[0]["row"] == "2", report

    async def test_duplicates_in_one_file_keep_the_later_row(self, hub: Hub) -> None:
        row = company_rows(7000, 1)
        job = await run_job(hub, (HEADER + row + row.replace(",A\n", ",C\n")).encode())
        assert (job["created"], job["rows_accepted"]) == (1, 2), job
        got = (await hub.client.get("/v1/objects", params={"uscc": uscc(7000)})).json()["items"][0]
        assert got["credit_class"] == "C"

    async def test_json_lines_and_default_kind(self, hub: Hub) -> None:
        lines = (
            '{"name": "1号客梯", "code": "3110341602201900001", "region_code": "341602", "equipment_type": "elevator"}\n'
            "not json\n"
            '["array"]\n'
        )
        job = await run_job(hub, lines.encode(), filename="lifts.jsonl", kind="equipment")
        assert (job["rows_accepted"], job["rows_rejected"]) == (1, 2), job

    async def test_unreadable_files(self, hub: Hub) -> None:
        r = await hub.client.post("/v1/ingest-jobs", files={"file": ("book.xls", b"\xd0\xcf\x11\xe0")})
        assert r.status_code == 415, r.text
        assert ".xlsx" in r.json()["detail"]
        job = await run_job(hub, b"foo,bar\n1,2\n")
        assert job["status"] == "failed"
        assert "no column" in job["error"]
        broken = await run_job(hub, b"PK\x03\x04 not really a workbook", filename="book.xlsx")
        assert broken["status"] == "failed"
        assert "xlsx" in broken["error"]


class TestSpreadsheets:
    async def test_xlsx_rows_are_cleaned_and_reported_with_the_sheets_row_numbers(self, hub: Hub) -> None:
        # Written by openpyxl (tests/data/make_objects_xlsx.py): a title row above the header, codes and
        # phone numbers typed as numbers, real date cells, an empty row 7 and four bad rows.
        content = (DATA / "objects.xlsx").read_bytes()
        before = await object_count(hub)
        job = await run_job(hub, content, filename="名录.xlsx", source="market-regulation")
        assert job["status"] == "succeeded", job
        assert (job["file_format"], job["rows_read"], job["rows_accepted"], job["rows_rejected"]) == (
            "xlsx",
            8,
            4,
            4,
        ), job
        assert job["created"] == 3, job
        report = await errors_csv(hub, job["id"])
        assert {(e["row"], e["field"]) for e in report} == {
            ("5", "uscc"),
            ("6", "established_on"),
            ("8", "name"),
            ("9", "region_code"),
            ("11", "identity"),  # the same object as row 3: the later row is applied
        }, report
        assert await object_count(hub) - before == 3

        first = (await hub.client.get("/v1/objects", params={"uscc": uscc(8100001)})).json()["items"][0]
        assert (first["region_code"], first["credit_class"]) == ("341602", "C")
        assert first["attributes"]["established_on"] == "2019-03-05"
        second = (await hub.client.get("/v1/objects", params={"uscc": uscc(8100002)})).json()["items"][0]
        assert second["attributes"]["established_on"] == "2020-01-02"
        assert second["attributes"]["registered_capital"] == "1234.50"
        assert second["credit_class"] == "B"
        third = (await hub.client.get("/v1/objects", params={"uscc": uscc(8100007)})).json()["items"][0]
        assert (third["name"], third["credit_class"]) == ("亳州市ABC 大药房", "B")

        again = await run_job(hub, content, filename="名录.xlsx", source="market-regulation")
        assert (again["status"], again["created"], again["updated"]) == ("succeeded", 0, 0), again
        assert await object_count(hub) - before == 3

    async def test_read_only_roles_cannot_import(self, hub: Hub) -> None:
        r = await hub.client.post(
            "/v1/ingest-jobs",
            files={"file": ("a.csv", HEADER.encode())},
            headers=hub.auth(roles=("auditor",), region_code="341600"),
        )
        assert r.status_code == 403, r.text
