"""Roles x regions x departments over every organisation, people and audit endpoint: no cross-scope read or write.

Two counties (A, B) of one province P, and another province Q. Callers hold the roles the platform
knows, scoped to county A's department, to the province, or to Q. Each endpoint is tried against
records inside and outside each caller's scope; refused writes must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from org_helpers import TokenMaker, bearer, create_department, create_user, ensure_region, unique_name

pytest_plugins = ["auth_fixtures", "org_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class World:
    admin: dict[str, str]
    regions: dict[str, str]
    departments: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]
    callers: dict[str, dict[str, str]]


# What each caller may read and write: departments by key, users by the department key.
READS = {
    "admin_a": {"a"},
    "inspector_a": {"a"},
    "agency_a": {"a"},
    "leader_p": {"p", "a", "b"},
    "auditor_p": {"p", "a", "b"},
    "admin_q": {"q"},
}
WRITES = {"admin_a": {"a"}, "admin_q": {"q"}}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> World:
    admin = bearer(await auth_mint())
    # Province codes 11-82 are shared with other tests; 81 and 82 (Hong Kong, Macao) are used only here.
    regions = {"p": "810000", "a": "810102", "b": "810103", "q": "820000"}
    for code in ("810000", "810100", "810102", "810103", "820000"):
        await ensure_region(auth_http, admin, code)
    departments: dict[str, dict[str, Any]] = {}
    departments["p"] = await create_department(auth_http, admin, region_code=regions["p"])
    departments["a"] = await create_department(
        auth_http, admin, region_code=regions["a"], parent_id=departments["p"]["id"]
    )
    departments["b"] = await create_department(
        auth_http, admin, region_code=regions["b"], parent_id=departments["p"]["id"]
    )
    departments["q"] = await create_department(auth_http, admin, region_code=regions["q"])
    users = {
        k: await create_user(auth_http, admin, department_id=d["id"], roles=["inspector"])
        for k, d in departments.items()
    }

    async def caller(role: str, key: str) -> dict[str, str]:
        return bearer(await auth_mint(roles=(role,), region_code=regions[key], department_id=departments[key]["id"]))

    callers = {
        "admin_a": await caller("department_admin", "a"),
        "inspector_a": await caller("inspector", "a"),
        "agency_a": await caller("agency_system", "a"),
        "leader_p": await caller("leader", "p"),
        "auditor_p": await caller("auditor", "p"),
        "admin_q": await caller("department_admin", "q"),
    }
    return World(admin, regions, departments, users, callers)


@pytest.mark.parametrize("caller", sorted(READS))
async def test_lists_show_only_the_callers_scope(auth_http: httpx.AsyncClient, world: World, caller: str) -> None:
    headers = world.callers[caller]
    ids = {d["id"]: k for k, d in world.departments.items()}
    r = await auth_http.get("/v1/departments", params={"limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    seen = {ids[d["id"]] for d in r.json()["items"] if d["id"] in ids}
    assert seen == READS[caller]
    prefix = world.regions[next(iter(READS[caller]))][:2]
    assert all(d["region_code"].startswith(prefix) for d in r.json()["items"])

    user_ids = {u["id"]: k for k, u in world.users.items()}
    r = await auth_http.get("/v1/users", params={"limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    assert {user_ids[u["id"]] for u in r.json()["items"] if u["id"] in user_ids} == READS[caller]

    r = await auth_http.get("/v1/regions", params={"limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    codes = {reg["code"] for reg in r.json()["items"]}
    assert all(code.startswith(prefix) or not code[:2].isdigit() for code in codes)
    assert ("820000" in codes) == (caller == "admin_q")


@pytest.mark.parametrize("caller", sorted(READS))
@pytest.mark.parametrize("target", ["p", "a", "b", "q"])
async def test_single_reads_outside_the_scope_are_not_found(
    auth_http: httpx.AsyncClient, world: World, caller: str, target: str
) -> None:
    headers = world.callers[caller]
    expected = 200 if target in READS[caller] else 404
    r = await auth_http.get(f"/v1/departments/{world.departments[target]['id']}", headers=headers)
    assert r.status_code == expected, r.text
    r = await auth_http.get(f"/v1/users/{world.users[target]['id']}", headers=headers)
    assert r.status_code == expected, r.text


def _user_writes(user_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("PATCH", f"/v1/users/{user_id}", {"display_name": unique_name("名")}),
        ("PUT", f"/v1/users/{user_id}/roles", {"roles": ["inspector", "leader"]}),
        ("POST", f"/v1/users/{user_id}/disable", None),
        ("POST", f"/v1/users/{user_id}/enable", None),
        ("POST", f"/v1/users/{user_id}/password", {"password": "another long password"}),
        ("POST", f"/v1/users/{user_id}/unlock", None),
        ("DELETE", f"/v1/users/{user_id}/totp", None),
    ]


def _department_writes(world: World, target: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    department = world.departments[target]
    return [
        ("PATCH", f"/v1/departments/{department['id']}", {"name": unique_name("局")}),
        ("POST", f"/v1/departments/{department['id']}/move", {"parent_id": department["parent_id"]}),
        (
            "POST",
            "/v1/departments",
            {
                "name": unique_name("科"),
                "type": "health",
                "region_code": department["region_code"],
                "parent_id": department["id"],
            },
        ),
        (
            "POST",
            "/v1/users",
            {
                "username": unique_name("u"),
                "display_name": "王五",
                "department_id": department["id"],
                "password": "x" * 12,
            },
        ),
    ]


async def _snapshot(http: httpx.AsyncClient, world: World) -> list[Any]:
    state = []
    for key in world.departments:
        state.append((await http.get(f"/v1/departments/{world.departments[key]['id']}", headers=world.admin)).json())
        user = (await http.get(f"/v1/users/{world.users[key]['id']}", headers=world.admin)).json()
        state.append({k: v for k, v in user.items() if k != "last_login_at"})
    counts = []
    for path in ("/v1/departments", "/v1/users"):
        counts.append((await http.get(path, params={"limit": 1}, headers=world.admin)).json()["total"])
    return [state, counts]


@pytest.mark.parametrize("caller", sorted(READS))
@pytest.mark.parametrize("target", ["p", "a", "b", "q"])
async def test_writes_outside_the_scope_are_refused_and_change_nothing(
    auth_http: httpx.AsyncClient, world: World, caller: str, target: str
) -> None:
    headers = world.callers[caller]
    allowed = target in WRITES.get(caller, set())
    writes = _department_writes(world, target) + _user_writes(world.users[target]["id"])
    before = None if allowed else await _snapshot(auth_http, world)
    for method, path, body in writes:
        r = await auth_http.request(method, path, json=body, headers=headers)
        if allowed:
            # Department admins of A may not move or create top-level records (A's parent is the province's).
            ok = {200, 201} if not path.endswith("/move") else {403}
            assert r.status_code in ok, (method, path, r.text)
        else:
            assert r.status_code in (403, 404), (method, path, r.text)
    if not allowed:
        assert await _snapshot(auth_http, world) == before


@pytest.mark.parametrize("caller", sorted(READS))
async def test_import_applies_only_rows_in_scope(auth_http: httpx.AsyncClient, world: World, caller: str) -> None:
    inside, outside = unique_name("内"), unique_name("外")
    own = world.departments["a"]
    csv = (
        "name,type,region_code,parent_id\n"
        f"{inside},health,{world.regions['a']},{own['id']}\n"
        f"{outside},health,{world.regions['q']},{world.departments['q']['id']}\n"
    ).encode()
    r = await auth_http.post(
        "/v1/departments/import", content=csv, headers={**world.callers[caller], "content-type": "text/csv"}
    )
    if caller not in WRITES:
        assert r.status_code == 403, r.text
    else:
        assert r.status_code == 200, r.text
        expected_created = 1
        assert r.json()["created"] == expected_created, r.json()
        assert r.json()["failed"] == 1, r.json()
    for name in (inside, outside):
        r = await auth_http.get("/v1/departments", params={"q": name}, headers=world.admin)
        created = r.json()["total"]
        expected = 1 if (name == inside and caller == "admin_a") or (name == outside and caller == "admin_q") else 0
        assert created == expected, (caller, name)


@pytest.mark.parametrize("caller", ["auditor_p", "leader_p", "admin_a", "inspector_a", "agency_a"])
async def test_audit_log_is_for_auditors_within_their_region(
    auth_http: httpx.AsyncClient, world: World, caller: str
) -> None:
    r = await auth_http.get("/v1/audit", params={"limit": 100}, headers=world.callers[caller])
    if caller != "auditor_p":
        assert r.status_code == 403, r.text
        return
    assert r.status_code == 200, r.text
    assert r.json()["items"]
    assert all((rec["region_code"] or "").startswith("81") for rec in r.json()["items"])


async def test_tokens_without_a_region_see_nothing(auth_http: httpx.AsyncClient, auth_mint: TokenMaker) -> None:
    headers = bearer(await auth_mint(roles=("inspector",)))
    for path in ("/v1/departments", "/v1/users", "/v1/regions"):
        r = await auth_http.get(path, headers=headers)
        assert r.status_code == 403, r.text


async def test_unsigned_and_foreign_tokens_are_refused(auth_http: httpx.AsyncClient, test_issuer: Any) -> None:
    forged = test_issuer.token(roles=("platform_admin",))
    for headers in ({}, bearer("not-a-token"), bearer(forged)):
        r = await auth_http.get("/v1/departments", headers=headers)
        assert r.status_code == 401, r.text
