"""Regions and departments over HTTP: validation, tree rules, moves, CSV import, events."""

from __future__ import annotations

import uuid

import httpx
import pytest
from org_helpers import TokenMaker, bearer, create_department, ensure_region, random_province, unique_name
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.org.models import Department
from svc_runtime.outbox import OutboxEvent

pytest_plugins = ["auth_fixtures", "org_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _admin(auth_mint: TokenMaker) -> dict[str, str]:
    return bearer(await auth_mint(roles=("platform_admin",)))


async def _tree(http: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str, str]:
    p = random_province()
    province, city, county = f"{p}0000", f"{p}0100", f"{p}0102"
    for code in (province, city, county):
        await ensure_region(http, headers, code)
    return province, city, county


class TestRegions:
    async def test_levels_and_parents_follow_the_code(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker
    ) -> None:
        headers = await _admin(auth_mint)
        province, city, county = await _tree(auth_http, headers)
        r = await auth_http.get(f"/v1/regions/{county}", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["level"] == "county"
        assert r.json()["parent_code"] == city
        r = await auth_http.get(f"/v1/regions/{city}", headers=headers)
        assert r.json()["level"] == "city"
        assert r.json()["parent_code"] == province

    @pytest.mark.parametrize(
        "body",
        [
            {"code": "990000", "name": "x"},
            {"code": "12345", "name": "x"},
            {"code": "abcdef", "name": "x"},
            {"code": "110000", "name": "x", "level": "city"},
            {"code": "110000", "name": ""},
            {"code": "110000", "name": "x", "extra": 1},
            {"code": 110000, "name": "x"},
        ],
    )
    async def test_bad_regions_are_refused(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, body: dict[str, object]
    ) -> None:
        r = await auth_http.post("/v1/regions", json=body, headers=await _admin(auth_mint))
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_a_county_needs_its_province(self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
        r = await auth_http.post("/v1/regions", json={"code": "830101", "name": "x"}, headers=await _admin(auth_mint))
        assert r.status_code in (201, 409, 422), r.text

    async def test_only_platform_admins_write_regions(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker
    ) -> None:
        token = await auth_mint(roles=("department_admin",), region_code="110000", department_id=uuid.uuid4())
        r = await auth_http.post("/v1/regions", json={"code": "110000", "name": "北京市"}, headers=bearer(token))
        assert r.status_code == 403, r.text


class TestDepartments:
    async def test_crud_with_events(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        headers = await _admin(auth_mint)
        province, _, county = await _tree(auth_http, headers)
        parent = await create_department(auth_http, headers, region_code=province)
        child = await create_department(
            auth_http, headers, region_code=county, parent_id=parent["id"], credit_code="11100000000013127D"
        )
        assert child["credit_code"] == "11100000000013127D"
        r = await auth_http.patch(f"/v1/departments/{child['id']}", json={"type": "drugs"}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["type"] == "drugs", r.text
        r = await auth_http.delete(f"/v1/departments/{parent['id']}", headers=headers)
        assert r.status_code == 409, r.text  # an active child
        r = await auth_http.delete(f"/v1/departments/{child['id']}", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "inactive", r.text
        async with auth_sessionmaker() as session:
            types = (
                await session.scalars(
                    select(OutboxEvent.headers["ce_type"].astext).where(OutboxEvent.key == child["id"])
                )
            ).all()
        assert len(types) == 3
        assert set(types) == {"gov.supervision.auth.department.changed.v1"}

    async def test_bad_input_changes_nothing(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        headers = await _admin(auth_mint)
        province, _, _ = await _tree(auth_http, headers)
        async with auth_sessionmaker() as session:
            before = await session.scalar(select(func.count()).select_from(Department))
        good = {"name": unique_name("局"), "type": "health", "region_code": province}
        for body, status in [
            ({**good, "type": "police"}, 422),
            ({**good, "credit_code": "91350100M000100Y4X"}, 422),
            ({**good, "region_code": "999999"}, 422),
            ({**good, "unknown": "x"}, 422),
            ({**good, "parent_id": str(uuid.uuid4())}, 404),
            ({**good, "name": 5}, 422),
        ]:
            r = await auth_http.post("/v1/departments", json=body, headers=headers)
            assert r.status_code == status, (body, r.text)
        r = await auth_http.post(
            "/v1/departments", content=b'{"name": ', headers={**headers, "content-type": "application/json"}
        )
        assert r.status_code == 422, r.text
        r = await auth_http.post(
            "/v1/departments",
            content=b'{"name": "' + b"x" * 2_000_000 + b'"}',
            headers={**headers, "content-type": "application/json"},
        )
        assert r.status_code == 413, r.text
        async with auth_sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Department)) == before

    async def test_move_refuses_cycles(self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
        headers = await _admin(auth_mint)
        province, city, county = await _tree(auth_http, headers)
        a = await create_department(auth_http, headers, region_code=province)
        b = await create_department(auth_http, headers, region_code=city, parent_id=a["id"])
        c = await create_department(auth_http, headers, region_code=county, parent_id=b["id"])
        r = await auth_http.post(f"/v1/departments/{a['id']}/move", json={"parent_id": c["id"]}, headers=headers)
        assert r.status_code == 422, r.text
        r = await auth_http.post(f"/v1/departments/{a['id']}/move", json={"parent_id": a["id"]}, headers=headers)
        assert r.status_code == 422, r.text
        r = await auth_http.post(
            f"/v1/departments/{c['id']}/move", json={"parent_id": a["id"], "region_code": city}, headers=headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["parent_id"] == a["id"]
        assert r.json()["region_code"] == city

    async def test_list_filters_sorts_and_pages(self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
        headers = await _admin(auth_mint)
        _, _, county = await _tree(auth_http, headers)
        names = sorted([unique_name("甲"), unique_name("乙"), unique_name("丙")])
        for name in names:
            await create_department(auth_http, headers, region_code=county, name=name, type="transport")
        r = await auth_http.get(
            "/v1/departments", params={"region_code": county, "sort": "-name", "limit": 2}, headers=headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 3
        assert [d["name"] for d in r.json()["items"]] == names[::-1][:2]
        r = await auth_http.get("/v1/departments", params={"sort": "secret"}, headers=headers)
        assert r.status_code == 400, r.text


class TestImport:
    async def test_valid_rows_apply_and_invalid_rows_are_reported(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker
    ) -> None:
        headers = await _admin(auth_mint)
        province, _, county = await _tree(auth_http, headers)
        parent, child = unique_name("省局"), unique_name("县局")
        text = (
            "名称,类型,区划代码,上级部门,上级部门区划代码,统一社会信用代码\n"
            f"{parent},market_regulation,{province},,,\n"
            f'"{child}",market_regulation,{county},{parent},{province},\n'
            f"坏类型,police,{county},,,\n"
            f"坏代码,health,{county},,,91350100M000100Y4X\n"
            f"无上级,health,{county},不存在,{province},\n"
            "缺列,health\n"
        )
        for encoding, body in (("utf-8-sig", text.encode("utf-8-sig")), ("gbk", text.encode("gbk"))):
            r = await auth_http.post(
                "/v1/departments/import", content=body, headers={**headers, "content-type": "text/csv"}
            )
            assert r.status_code == 200, (encoding, r.text)
            report = r.json()
            expected_created = 2 if encoding == "utf-8-sig" else 0
            assert report["created"] == expected_created, report
            assert report["failed"] == 4, report
            assert [e["line"] for e in report["errors"]] == [4, 5, 6, 7]
        r = await auth_http.get("/v1/departments", params={"q": child}, headers=headers)
        assert r.json()["total"] == 1
        assert r.json()["items"][0]["parent_id"] is not None
        r = await auth_http.post(
            "/v1/departments/import?report=csv",
            content=text.encode("utf-8"),
            headers={**headers, "content-type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv"), r.text
        lines = r.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "line,field,message"
        assert len(lines) == 5

    async def test_bad_files_are_refused_whole(self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
        headers = {**await _admin(auth_mint), "content-type": "text/csv"}
        for body in (b"", b"name,colour\nx,red\n", b'name,type,region_code\n"unclosed,x,110000\n'):
            r = await auth_http.post("/v1/departments/import", content=body, headers=headers)
            assert r.status_code == 422, r.text
        r = await auth_http.post(
            "/v1/departments/import", content=b"{}", headers={**headers, "content-type": "application/json"}
        )
        assert r.status_code == 415, r.text
