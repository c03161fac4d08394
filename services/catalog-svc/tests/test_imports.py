"""Bulk import and export of lists, over HTTP on real PostgreSQL: per-row errors, idempotent re-runs,
change reports, encodings, formats, the national list and the mapping table."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from catalog_fixtures import OTHER_DEPT, Catalog, item_body
from sqlalchemy import text

from catalog_svc.imports import reading, xlsx
from svc_runtime.cloudevents import from_kafka
from svc_runtime.db import create_engine
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import eventually

pytest_plugins = ["catalog_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADER = [
    "code",
    "parent_code",
    "name",
    "item_type",
    "supervision_level",
    "implementing_department",
    "region_code",
    "domain",
    "supervision_methods",
    "measures",
    "object_types",
    "legal_basis",
    "random_check",
]
FOOD = "《中华人民共和国食品安全法》第一百一十条"


def row(code: str, name: str, parent: str = "", **overrides: str) -> dict[str, str]:
    values = {
        "code": code,
        "parent_code": parent,
        "name": name,
        "item_type": "行政检查",
        "supervision_level": "省级",
        "implementing_department": "安徽省市场监督管理局",
        "region_code": "340000",
        "domain": "食品安全",
        "supervision_methods": "现场检查；随机抽查",
        "measures": "责令改正；查封、扣押",
        "object_types": "法人",
        "legal_basis": FOOD,
        "random_check": "是",
    }
    values.update(overrides)
    return values


def to_csv(rows: list[dict[str, str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in HEADER])
    return buffer.getvalue().encode(encoding)


def province_list() -> list[dict[str, str]]:
    return [
        # the sub item comes before its main item: it waits for it
        row("34000001000101", "对食品生产企业的监督检查", parent="34000001000100"),
        row("34000001000100", "对食品生产经营者的监督检查"),
        row("34000001000200", "对药品零售企业的监督检查", legal_basis="《中华人民共和国药品管理法》第九十九条"),
        row("34000002000100", "对违法生产食品的行政处罚", item_type="行政处罚", random_check="否"),
    ]


async def upload(
    cat: Catalog, data: bytes, filename: str = "list.csv", headers: dict[str, str] | None = None, **form: Any
) -> dict[str, Any]:
    r = await cat.client.post(
        "/v1/import-jobs",
        files={"file": (filename, data)},
        data={"source": "provincial", "list_region": "340000", **{k: str(v) for k, v in form.items()}},
        headers=headers or cat.as_dept(region="340000"),
    )
    assert r.status_code == 202, r.text
    return dict(r.json())


async def finished(cat: Catalog, job: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        r = await cat.client.get(f"/v1/import-jobs/{job['id']}", headers=headers or cat.as_dept(region="340000"))
        assert r.status_code == 200, r.text
        body = dict(r.json())
        return body if body["status"] in ("done", "failed") else None

    return dict(await eventually(done, timeout=60))


async def run(cat: Catalog, data: bytes, filename: str = "list.csv", **form: Any) -> dict[str, Any]:
    headers = form.pop("headers", None)
    return await finished(cat, await upload(cat, data, filename, headers, **form), headers)


async def query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as conn:
        rows = (await conn.execute(text(sql))).all()
    await engine.dispose()
    return list(rows)


async def errors_of(cat: Catalog, job: dict[str, Any]) -> list[tuple[int, str]]:
    r = await cat.client.get(
        f"/v1/import-jobs/{job['id']}/errors", params={"limit": 100}, headers=cat.as_dept(region="340000")
    )
    return [(e["row_number"], e["field"]) for e in r.json()["items"]]


class TestItemListImport:
    async def test_valid_rows_are_published_and_bad_rows_reported(self, catalog: Catalog) -> None:
        rows = [
            *province_list(),
            row("3400000100030", "短编码"),  # 13 digits
            row("34000001000400", "无依据", legal_basis="依法监管"),
            row("34000001000500", "未知类型", item_type="巡查"),
            row("34000001000200", "重复编码"),
            row("34000001000601", "孤儿子项", parent="34000001000600"),
            row("34160001000700", "外省", region_code="320100"),
            row("34000001000800", "坏方式", supervision_methods="飞行检查", object_types="外星人"),
        ]
        job = await run(catalog, to_csv(rows))
        assert job["status"] == "done", job
        assert (job["rows_read"], job["rows_accepted"], job["rows_rejected"]) == (11, 4, 7)
        assert (job["added"], job["changed"], job["removed"]) == (4, 0, 0)
        assert job["encoding"] == "utf-8"
        assert await errors_of(catalog, job) == [
            (6, "code"),
            (7, "legal_basis"),
            (8, "item_type"),
            (9, "code"),
            (10, "parent_code"),
            (11, "region_code"),
            (12, "supervision_methods"),
            (12, "object_types"),
        ]
        r = await catalog.client.get(
            f"/v1/import-jobs/{job['id']}/errors.csv", headers=catalog.as_dept(region="340000")
        )
        assert r.status_code == 200
        report = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert report[0] == ["row", "field", "reason"]
        assert report[4][:2] == ["9", "code"]
        assert "row 4" in report[4][2]

        page = (await catalog.client.get("/v1/items", params={"q": "食品生产企业"}, headers=catalog.as_admin())).json()
        sub = page["items"][0]
        assert (sub["code"], sub["kind"], sub["status"]) == ("34000001000101", "sub", "published")
        item = (await catalog.client.get(f"/v1/items/{sub['id']}", headers=catalog.as_admin())).json()
        assert item["main_item_name"] == "对食品生产经营者的监督检查"
        assert item["measures"] == ["责令改正", "查封、扣押"]
        assert item["supervision_methods"] == ["on_site", "random_check"]
        assert item["legal_bases"][0]["article"] == "第一百一十条"
        assert item["source"] == "provincial"
        versions = (await catalog.client.get(f"/v1/items/{sub['id']}/versions", headers=catalog.as_admin())).json()
        assert [v["change"] for v in versions] == ["imported"]
        assert versions[0]["snapshot"] == item

        # the code is allocated for good and usable at once
        r = await catalog.client.get("/v1/code-checks", params={"code": "34000001000100"}, headers=catalog.as_admin())
        assert r.json()["valid"] is True
        r = await catalog.client.post(
            "/v1/items", json={**_api_item(), "code": "34000001000100"}, headers=catalog.as_admin()
        )
        assert r.status_code == 409, r.text

        events = await query(catalog.url, "SELECT payload, headers FROM outbox_events ORDER BY seq")
        parsed = [from_kafka(p, [(k, v.encode()) for k, v in h.items()]) for p, h in events]
        types = [e.type.rsplit(".", 2)[-2] for e in parsed]
        assert types.count("created") == 4
        assert types.count("published") == 4
        published = [e for e in parsed if e.type.endswith("published.v1")]
        assert {e.data.code for e in published} == {r["code"] for r in province_list()}  # type: ignore[attr-defined]

        # the same file again changes nothing
        before = await query(
            catalog.url, "SELECT (SELECT count(*) FROM outbox_events), (SELECT count(*) FROM item_versions)"
        )
        again = await run(catalog, to_csv(rows))
        assert (again["added"], again["changed"], again["unchanged"], again["removed"]) == (0, 0, 4, 0)
        assert again["previous_job_id"] == job["id"]
        assert (
            await query(
                catalog.url, "SELECT (SELECT count(*) FROM outbox_events), (SELECT count(*) FROM item_versions)"
            )
            == before
        )

    async def test_changes_since_the_last_import_are_reported_and_applied(self, catalog: Catalog) -> None:
        await run(catalog, to_csv(province_list()))
        changed = province_list()
        changed[2] = row(
            "34000001000200",
            "对药品零售企业的监督检查",
            legal_basis="《中华人民共和国药品管理法》第一百条",
            measures="责令改正",
        )
        del changed[3]
        changed.append(row("34000001000900", "对餐饮服务提供者的监督检查"))
        job = await run(catalog, to_csv(changed), remove_missing="true")
        assert (job["added"], job["changed"], job["unchanged"], job["removed"]) == (1, 1, 2, 1)
        r = await catalog.client.get(
            f"/v1/import-jobs/{job['id']}/changes",
            params={"change": "changed"},
            headers=catalog.as_dept(region="340000"),
        )
        (line,) = r.json()["items"]
        assert line["code"] == "34000001000200"
        assert line["fields"] == ["measures", "legal_basis"]
        assert line["detail"]["before"]["measures"] == ["责令改正", "查封、扣押"]
        assert line["detail"]["after"]["legal_basis"] == "《中华人民共和国药品管理法》第一百条"
        r = await catalog.client.get(
            f"/v1/import-jobs/{job['id']}/changes.csv", headers=catalog.as_dept(region="340000")
        )
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert sorted(x[0] for x in lines[1:]) == ["added", "changed", "removed"]

        items = {
            i["code"]: i
            for i in (await catalog.client.get("/v1/items", params={"limit": 100}, headers=catalog.as_admin())).json()[
                "items"
            ]
        }
        assert items["34000002000100"]["status"] == "abolished"
        adjusted = items["34000001000200"]
        assert (adjusted["status"], adjusted["version"]) == ("adjusted", 2)
        r = await catalog.client.get(
            f"/v1/items/{adjusted['id']}/versions/compare", params={"from": 1, "to": 2}, headers=catalog.as_admin()
        )
        diff = {d["field"] for d in r.json()["differences"]}
        assert {"measures", "legal_basis", "legal_bases", "status", "version"} == diff
        rows = await query(catalog.url, "SELECT payload, headers FROM outbox_events ORDER BY seq")
        parsed = [from_kafka(p, [(k, v.encode()) for k, v in h.items()]) for p, h in rows]
        events = [e.type.rsplit(".", 2)[-2] for e in parsed]
        assert events.count("adjusted") == 1
        assert events.count("abolished") == 1
        (event,) = [e for e in parsed if e.type.endswith("adjusted.v1")]
        assert event.subject == adjusted["id"]
        assert event.data.changed_fields == ["measures", "legal_basis"]  # type: ignore[attr-defined]
        assert event.data.version == 2  # type: ignore[attr-defined]

    async def test_added_items_are_reported_one_line_each_in_file_order(
        self, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(reading, "CHUNK_ROWS", 2)  # two chunks, and the waiting sub item in a pass of its own
        job = await run(catalog, to_csv(province_list()))
        assert job["added"] == 4, job
        dept = catalog.as_dept(region="340000")
        url = f"/v1/import-jobs/{job['id']}/changes"
        first = (await catalog.client.get(url, params={"limit": 3}, headers=dept)).json()
        second = (await catalog.client.get(url, params={"limit": 3, "page": 2}, headers=dept)).json()
        assert (first["total"], second["total"]) == (4, 4)
        lines = first["items"] + second["items"]
        # in file order, though the chunks were written at the same time and the sub item of row 2 last
        assert [(x["change"], x["row_number"], x["code"]) for x in lines] == [
            ("added", 2, "34000001000101"),
            ("added", 3, "34000001000100"),
            ("added", 4, "34000001000200"),
            ("added", 5, "34000002000100"),
        ]
        assert all(x["fields"] == [] and x["detail"] is None and x["target_code"] is None for x in lines)
        ids = dict(await query(catalog.url, "SELECT code, id FROM supervision_items"))
        assert {x["code"]: x["item_id"] for x in lines} == {c: str(ids[c]) for c in (x["code"] for x in lines)}
        r = await catalog.client.get(url, params={"change": "changed"}, headers=dept)
        assert r.json()["total"] == 0
        r = await catalog.client.get(url, params={"change": "added", "limit": 100}, headers=dept)
        assert [x["code"] for x in r.json()["items"]] == [x["code"] for x in lines]
        r = await catalog.client.get(f"{url}.csv", headers=dept)
        report = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert [(x[0], x[1], x[2]) for x in report[1:]] == [("added", str(x["row_number"]), x["code"]) for x in lines]

    async def test_gbk_file_with_chinese_headings_and_broken_bytes(self, catalog: Catalog) -> None:
        headings = [
            "事项编码",
            "主项编码",
            "监管事项名称",
            "事项类型",
            "监管层级",
            "实施部门",
            "行政区划代码",
            "业务领域",
        ]
        headings += ["监管方式", "监管措施", "监管对象类型", "设定依据", "是否随机抽查事项"]
        data = to_csv(
            province_list()[1:3], header=[f"*{h}" if i < 3 else h for i, h in enumerate(headings)], encoding="gbk"
        )
        broken = (
            data
            + "34000001001000,,对特种设备的监督检查,行政检查,省级,安徽省市场监督管理局,340000,特种设备,,,,".encode(
                "gbk"
            )
        )
        broken += b"\x81\x20" + FOOD.encode("gbk") + b",\xca\xc7\r\n"
        job = await run(catalog, broken, "清单.csv")
        assert job["status"] == "done", job
        assert job["encoding"] == "gb18030"
        assert (job["added"], job["rows_rejected"]) == (2, 1)
        assert await errors_of(catalog, job) == [(4, "row")]
        item = (await catalog.client.get("/v1/items", params={"q": "药品零售"}, headers=catalog.as_admin())).json()
        assert item["items"][0]["legal_basis"] == "《中华人民共和国药品管理法》第九十九条"

    async def test_utf16_text_is_read_and_other_encodings_are_named(self, catalog: Catalog) -> None:
        # Excel's "Unicode text": UTF-16 with its byte-order mark, tab-separated
        text_ = "\t".join(HEADER) + "\n" + "\n".join("\t".join(r[h] for h in HEADER) for r in province_list())
        job = await run(catalog, text_.encode("utf-16"), "清单.txt")
        assert (job["status"], job["encoding"], job["added"], job["rows_rejected"]) == ("done", "utf-16", 4, 0), job
        # Big5 is neither UTF-8 nor GBK: the headings make no sense read as GBK, and the job says why
        headings = ["事項編碼", "事項名稱", "事項類型", "監管層級", "實施部門", "行政區劃代碼", "設定依據"]
        job = await run(catalog, (",".join(headings) + "\n34000001000100,對食品生產經營者的監督檢查\n").encode("big5"))
        assert job["status"] == "failed", job
        assert "not UTF-8" in job["error"]
        assert "UTF-8 or GBK" in job["error"]
        assert (await catalog.client.get("/v1/items", headers=catalog.as_admin())).json()["total"] == 4

    async def test_file_level_problems_fail_the_job_or_the_upload(self, catalog: Catalog) -> None:
        job = await run(catalog, b"name,region_code\n\xe9\xa3\x9f,340000\n")
        assert job["status"] == "failed"
        assert "code" in job["error"]
        assert "legal_basis" in job["error"]
        job = await run(catalog, b"foo,bar\n1,2\n")
        assert job["status"] == "failed"
        assert "no column" in job["error"]
        r = await catalog.client.post(
            "/v1/import-jobs", files={"file": ("list.pdf", b"%PDF")}, headers=catalog.as_dept(region="340000")
        )
        assert r.status_code == 415, r.text
        r = await catalog.client.post(
            "/v1/import-jobs",
            files={"file": ("list.csv", to_csv(province_list()))},
            data={"source": "national"},
            headers=catalog.as_dept(region="340000"),
        )
        assert r.status_code == 403, r.text  # the national list is the platform administrators'
        r = await catalog.client.post(
            "/v1/import-jobs",
            files={"file": ("list.csv", to_csv(province_list()))},
            data={"list_region": "320000"},
            headers=catalog.as_dept(region="340000"),
        )
        assert r.status_code == 403, r.text
        r = await catalog.client.post(
            "/v1/import-jobs",
            files={"file": ("list.csv", to_csv(province_list()))},
            headers=catalog.as_dept(region="340000", role="auditor"),
        )
        assert r.status_code == 403, r.text

    async def test_other_departments_rows_are_refused_by_row(self, catalog: Catalog) -> None:
        rows = province_list()
        rows[2]["department_id"] = str(OTHER_DEPT)
        header = [*HEADER, "department_id"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([[r.get(h, "") for h in header] for r in rows])
        job = await run(catalog, buffer.getvalue().encode())
        assert (job["added"], job["rows_rejected"]) == (3, 1)
        assert await errors_of(catalog, job) == [(4, "department_id")]


class TestFormatsAndExport:
    @pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "xlsx"])
    async def test_export_reads_back_unchanged(self, catalog: Catalog, fmt: str) -> None:
        first = await run(catalog, to_csv(province_list()))
        assert first["added"] == 4
        r = await catalog.client.get(
            "/v1/items/export",
            params={"format": fmt, "headings": "chinese" if fmt in ("csv", "xlsx") else "fields"},
            headers=catalog.as_admin(),
        )
        assert r.status_code == 200, r.text
        job = await run(catalog, r.content, f"catalog.{fmt}")
        assert job["status"] == "done", job
        assert (job["rows_read"], job["unchanged"], job["added"], job["changed"]) == (4, 4, 0, 0), job

    async def test_json_lines_array_and_workbook_rows(self, catalog: Catalog) -> None:
        records = province_list()
        records[0]["measures"] = ["责令改正", "查封、扣押"]  # type: ignore[assignment]
        lines = b"\n".join(orjson.dumps(r) for r in records) + b"\n{not json}\n[1]\n"
        job = await run(catalog, lines, "list.jsonl")
        assert (job["added"], job["rows_rejected"]) == (4, 2)
        assert await errors_of(catalog, job) == [(5, "row"), (6, "row")]
        job = await run(catalog, orjson.dumps(records), "list.json")
        assert (job["unchanged"], job["rows_rejected"]) == (4, 0)
        workbook = xlsx.write_rows([HEADER, *[[r.get(h, "") for h in HEADER] for r in province_list()]])
        job = await run(catalog, workbook, "list.xlsx")
        assert (job["unchanged"], job["rows_rejected"], job["encoding"]) == (4, 0, None)
        job = await run(catalog, b"PK\x03\x04 not a zip", "list.xlsx")
        assert job["status"] == "failed"
        assert "XLSX" in job["error"]

    async def test_upload_paths_take_big_files(self) -> None:
        settings = ServiceSettings()
        for path in ("/v1/import-jobs", "/api/catalog/v1/import-jobs"):
            assert settings.body_limit(path) == settings.max_upload_bytes
        assert settings.body_limit("/v1/items") == settings.max_body_bytes


class TestNationalListAndMappings:
    async def test_national_list_and_mapping_table(self, catalog: Catalog) -> None:
        admin = catalog.as_admin()
        national = [
            row("11000001000100", "对食品生产经营者的监督检查", supervision_level="国家级", region_code="100000"),
            row("11000001000200", "对药品经营企业的监督检查", supervision_level="国家级", region_code="100000"),
        ]
        job = await run(catalog, to_csv(national), source="national", list_region="100000", headers=admin)
        assert (job["status"], job["added"]) == ("done", 2), job
        await run(catalog, to_csv(province_list()))
        table = "local_code,national_code\n34000001000100,11000001000100\n34000001000200,11000001000200\n"
        table += "34000001000200,11000001000999\n11000001000100,34000001000100\n"
        national_table = {"kind": "mappings", "list_region": "100000", "headers": admin}
        job = await run(catalog, table.encode(), "mapping.csv", **national_table)
        assert (job["added"], job["rows_rejected"]) == (2, 2), job
        errors = await errors_of(catalog, job)
        assert errors == [(4, "target_code"), (5, "target_code")]
        r = await catalog.client.get(f"/v1/import-jobs/{job['id']}/errors", headers=admin)
        assert "cycle" in r.json()["items"][1]["reason"]
        again = await run(catalog, table.encode(), "mapping.csv", **national_table)
        assert (again["added"], again["unchanged"], again["removed"]) == (0, 2, 0)
        smaller = "local_code,national_code\n34000001000100,11000001000100\n"
        job = await run(catalog, smaller.encode(), "mapping.csv", remove_missing=True, **national_table)
        assert (job["removed"], job["unchanged"]) == (1, 1)
        r = await catalog.client.get(f"/v1/import-jobs/{job['id']}/changes", headers=admin)
        assert [(c["change"], c["code"], c["target_code"]) for c in r.json()["items"]] == [
            ("removed", "34000001000200", "11000001000200")
        ]
        remaining = await query(catalog.url, "SELECT count(*) FROM item_mappings")
        assert remaining[0][0] == 1


def _api_item() -> dict[str, Any]:
    return {
        "name": "对食品生产经营者的监督检查",
        "item_type": "administrative_inspection",
        "supervision_level": "province",
        "implementing_department": "安徽省市场监督管理局",
        "region_code": "340000",
    }


class TestCheckingProcess:
    async def test_big_files_are_checked_by_a_child_process_with_the_same_outcome(
        self, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(reading, "PROCESS_MIN_BYTES", 0)  # every file counts as big
        rows = [*province_list(), row("34000001000500", "未知类型", item_type="巡查"), row("34000001000200", "重复")]
        job = await run(catalog, to_csv(rows))
        assert (job["status"], job["added"], job["rows_rejected"]) == ("done", 4, 2), job
        assert await errors_of(catalog, job) == [(6, "item_type"), (7, "code")]
        again = await run(catalog, to_csv(province_list()[:3]), remove_missing="true")
        assert (again["unchanged"], again["removed"]) == (3, 1)
        job = await run(catalog, b"foo,bar\n1,2\n")
        assert job["status"] == "failed"
        assert "no column" in job["error"]


class TestBadReferencesAndCodes:
    async def test_bad_codes_and_references_are_refused_by_row(self, catalog: Catalog) -> None:
        taken = item_body(code="34000001000700", region_code="340000", department_id=None)
        r = await catalog.client.post("/v1/items", json=taken, headers=catalog.as_admin())
        assert r.status_code == 201, r.text
        rows = [
            row("34000001000100", "对食品生产经营者的监督检查"),
            row("34000001000101", "对食品生产企业的监督检查", parent="34000001000100"),
            row("34000001000102", "子项之子", parent="34000001000101"),
            row("34000001000201", "自己的子项", parent="34000001000201"),
            row("34000001000301", "循环甲", parent="34000001000302"),
            row("34000001000302", "循环乙", parent="34000001000301"),
            {**row("34000001000400", "校验位错误"), "agency_uscc": "91341600MA2N0K6X6A"},
            row("99000001000500", "区划段错误"),
            row("34000001000700", "编码已被占用"),
        ]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[*HEADER, "agency_uscc"], restval="")
        writer.writeheader()
        writer.writerows(rows)
        job = await run(catalog, buffer.getvalue().encode())
        assert job["status"] == "done", job
        assert (job["rows_accepted"], job["rows_rejected"], job["added"]) == (2, 7, 2), job
        r = await catalog.client.get(
            f"/v1/import-jobs/{job['id']}/errors", params={"limit": 100}, headers=catalog.as_dept(region="340000")
        )
        errors = {(e["row_number"], e["field"]): e["reason"] for e in r.json()["items"]}
        assert sorted(errors) == [
            (4, "parent_code"),
            (5, "parent_code"),
            (6, "parent_code"),
            (7, "parent_code"),
            (8, "agency_uscc"),
            (9, "code"),
            (10, "code"),
        ], errors
        assert "sub item itself" in errors[(4, "parent_code")]
        assert "its own main item" in errors[(5, "parent_code")]
        assert errors[(6, "parent_code")] == (
            "34000001000302 (row 7) is a sub item itself (two levels only) (the two rows name each other)"
        )
        assert "34000001000301 (row 6) was refused" in errors[(7, "parent_code")]
        assert "check character" in errors[(8, "agency_uscc")]
        assert "an item entered in the catalog" in errors[(10, "code")]
        # nothing of a refused row is left behind: two items imported, the one entered before untouched
        codes = [c for (c,) in await query(catalog.url, "SELECT code FROM supervision_items ORDER BY code")]
        assert codes == ["34000001000100", "34000001000101", "34000001000700"]
        allocated = await query(catalog.url, "SELECT count(*) FROM code_allocations WHERE code LIKE '3400000100%'")
        assert allocated[0][0] == 3
