"""Catalog: keyword query over 100,000 items, the cached code check and the bulk import of a 100,000-item
list, through catalog-svc in process.

Baselines: the same query as one bare SQL statement on asyncpg; a raw PostgreSQL COPY of the same
100,000 rows into the same table; the code-check figure has a fixed target.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench.harness import Figure, check, ratio
from catalog_svc.main import create_app
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.migrations import upgrade
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import TestIssuer, create_database, serve_in_process, settings_for

ITEMS = 100_000
IMPORT_ROWS = 100_000
QUERIES = 300
CHECK_SECONDS = 3.0
CHECK_CONCURRENCY = 32
CHECK_BATCH = 100
POLL_S = 0.2
KEYWORD = "药品零售"
OBJECTS = [
    "食品生产企业",
    "食品销售者",
    "餐饮服务提供者",
    "药品零售企业",
    "药品批发企业",
    "医疗器械经营企业",
    "化妆品经营者",
    "特种设备使用单位",
    "电梯维保单位",
    "锅炉使用单位",
    "建筑施工企业",
    "危险化学品经营企业",
    "加油站",
    "旅行社",
    "道路运输企业",
    "网络交易平台",
    "广告经营者",
    "计量器具使用者",
    "产品质量",
    "农药经营者",
]
ACTIONS = ["的监督检查", "的行政处罚", "的行政强制", "的随机抽查", "的专项检查"]
LEVELS = ["national", "province", "city", "county"]
TYPES = ["administrative_inspection", "administrative_penalty", "enforcement_measure"]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def seed(url: str, n: int) -> list[str]:
    """COPY n published items (with their version rows) into the catalog; returns their codes."""
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=30)
    rows, codes = [], []
    for i in range(n):
        code = f"3416{i // 10000 % 100:02d}01{i % 10000:04d}00"
        codes.append(code)
        rows.append(
            (
                uuid.uuid4(),
                "main",
                code,
                f"对{rng.choice(OBJECTS)}{rng.choice(ACTIONS)}({i})",
                rng.choice(TYPES),
                rng.choice(LEVELS),
                "亳州市市场监督管理局",
                "341600",
                "published",
                2,
                start,
                start,
                ["legal_person"],
                "《中华人民共和国食品安全法》第一百一十条",
            )
        )
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.copy_records_to_table(
            "supervision_items",
            records=rows,
            columns=[
                "id",
                "kind",
                "code",
                "name",
                "item_type",
                "supervision_level",
                "implementing_department",
                "region_code",
                "status",
                "version",
                "created_at",
                "published_at",
                "object_types",
                "legal_basis",
            ],
        )
        await conn.execute(
            "INSERT INTO item_versions (item_id, version, change, status, snapshot, created_at) "
            "SELECT id, 2, 'published', 'published', '{}'::jsonb, created_at FROM supervision_items"
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return codes


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def bare_sql(url: str) -> list[float]:
    """The statement the service sends for a page and its total, bare on asyncpg (same predicates, same index)."""
    conn = await asyncpg.connect(_dsn(url))
    where = (
        "name ILIKE $1 AND catalog_bigrams(name) @> catalog_bigrams($3) "
        "AND supervision_level = $2 AND status = 'published'"
    )
    sql = (
        "SELECT i.*, p.total FROM supervision_items i JOIN ("
        f"SELECT id, count(*) OVER () AS total FROM supervision_items WHERE {where} "
        "ORDER BY created_at DESC, id LIMIT 20) p ON p.id = i.id ORDER BY i.created_at DESC, i.id"
    )
    times = []
    try:
        for i in range(QUERIES):
            t = time.perf_counter()
            await conn.fetch(sql, f"%{KEYWORD}%", LEVELS[i % 4], KEYWORD)
            times.append((time.perf_counter() - t) * 1000)
    finally:
        await conn.close()
    return times


IMPORT_COLUMNS = [
    "code",
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
LAWS = [
    "《中华人民共和国食品安全法》第一百一十条",
    "《中华人民共和国药品管理法》第九十九条",
    "《特种设备安全监察条例》第五十条",
    "《中华人民共和国产品质量法》第十五条",
]


def list_rows(n: int) -> list[dict[str, str]]:
    """A provincial list of n main items with every field an import reads (codes unique: region block + number)."""
    rng = random.Random(11)
    rows = []
    for i in range(n):
        rows.append(
            {
                "code": f"34{i // 10000 % 100:02d}00{rng.choice(['01', '02', '03'])}{i % 10000:04d}00",
                "name": f"对{rng.choice(OBJECTS)}{rng.choice(ACTIONS)}({i})",
                "item_type": rng.choice(TYPES),
                "supervision_level": rng.choice(LEVELS[1:]),
                "implementing_department": "安徽省市场监督管理局",
                "region_code": "340000",
                "domain": rng.choice(["食品安全", "药品安全", "特种设备", "产品质量"]),
                "supervision_methods": "on_site；random_check",
                "measures": "责令改正；查封、扣押",
                "object_types": "legal_person",
                "legal_basis": rng.choice(LAWS),
                "random_check": rng.choice(["是", "否"]),
            }
        )
    return rows


def list_file(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=IMPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


async def copy_baseline(url: str, rows: list[dict[str, str]]) -> float:
    """Seconds for a raw COPY of the rows, typed as the import stores them, into the same table."""
    now = datetime.now(UTC)
    records = [
        (
            uuid.uuid4(),
            "main",
            r["code"],
            r["name"],
            r["item_type"],
            r["supervision_level"],
            r["implementing_department"],
            r["region_code"],
            r["domain"],
            ["on_site", "random_check"],
            ["责令改正", "查封、扣押"],
            ["legal_person"],
            r["legal_basis"],
            r["random_check"] == "是",
            "published",
            1,
            "provincial",
            f"provincial:{r['code']}",
            now,
            now,
        )
        for r in rows
    ]
    columns = [
        "id",
        "kind",
        "code",
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
        "status",
        "version",
        "source",
        "import_key",
        "published_at",
        "created_at",
    ]
    conn = await asyncpg.connect(_dsn(url))
    try:
        start = time.perf_counter()
        await conn.copy_records_to_table("supervision_items", records=records, columns=columns)
        return time.perf_counter() - start
    finally:
        await conn.close()


async def timed_import(client: object, data: bytes) -> tuple[float, dict[str, object]]:
    """Seconds from the upload until the job is done, and the job."""
    from httpx import AsyncClient

    assert isinstance(client, AsyncClient)
    start = time.perf_counter()
    r = await client.post(
        "/v1/import-jobs",
        files={"file": ("list.csv", data)},
        data={"source": "provincial", "list_region": "340000"},
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    while True:
        job = (await client.get(f"/v1/import-jobs/{job_id}")).json()
        if job["status"] in ("done", "failed"):
            return time.perf_counter() - start, job
        # a client following a job: each poll is a request served by the event loop that runs the import
        await asyncio.sleep(POLL_S)


async def bulk_import(p: Profile, issuer: TestIssuer) -> Figure:
    """Import a 100,000-item list through the service, against a raw COPY of the same rows."""
    migrations = Path(repo_root()) / "services" / "catalog-svc" / "migrations"
    rows = list_rows(IMPORT_ROWS)
    data = list_file(rows)
    copy_url = await create_database(p, f"bench_catalog_copy_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(upgrade, migrations, copy_url)
    copy_s = await copy_baseline(copy_url, rows)
    url = await create_database(p, f"bench_catalog_import_{uuid.uuid4().hex[:8]}")
    settings = ServiceSettings(
        **settings_for(p, "catalog-svc", url, auth_jwks_url=issuer.jwks_url, run_background_workers=False)
    )
    async with serve_in_process(create_app(settings)) as client:
        client.headers["authorization"] = f"Bearer {issuer.token()}"
        import_s, job = await timed_import(client, data)
        assert job["status"] == "done", job
        assert job["added"] == IMPORT_ROWS, job
        again_s, again = await timed_import(client, data)
        assert again["unchanged"] == IMPORT_ROWS, again
    rate, copy_rate = IMPORT_ROWS / import_s, IMPORT_ROWS / copy_s
    return Figure(
        "catalog.bulk_import_vs_copy",
        round(rate, 1),
        "rows/s",
        round(copy_rate, 1),
        ">= 25% of raw COPY",
        check(rate / copy_rate, ">=", 0.25),
        ratio(rate, copy_rate),
        notes=f"POST /v1/import-jobs with a {len(data) / 1e6:.1f} MB CSV of {IMPORT_ROWS} items until the job is done "
        "(parse, check, staging COPY, insert, versions, legal bases, code ledger, change report, 2 events per "
        "item); "
        "baseline: raw COPY of the same rows into supervision_items",
        extra={
            "import_s": round(import_s, 2),
            "copy_s": round(copy_s, 2),
            "rerun_unchanged_s": round(again_s, 2),
        },
    )


async def run(p: Profile) -> list[Figure]:
    issuer = TestIssuer(p.issuer)
    issuer.start()
    try:
        url = await create_database(p, f"bench_catalog_{uuid.uuid4().hex[:8]}")
        await asyncio.to_thread(upgrade, Path(repo_root()) / "services" / "catalog-svc" / "migrations", url)
        codes = await seed(url, ITEMS)
        settings = ServiceSettings(
            **settings_for(p, "catalog-svc", url, auth_jwks_url=issuer.jwks_url, run_background_workers=False)
        )
        async with serve_in_process(create_app(settings)) as client:
            client.headers["authorization"] = f"Bearer {issuer.token()}"
            times = []
            for i in range(QUERIES):
                t = time.perf_counter()
                r = await client.get(
                    "/v1/items", params={"q": KEYWORD, "level": LEVELS[i % 4], "status": "published", "limit": 20}
                )
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            total = r.json()["total"]
            baseline = await bare_sql(url)

            for i in range(0, 2000, 500):  # warm the cache: the figure is the cached rate
                await client.post("/v1/code-checks", json={"checks": [{"code": c} for c in codes[i : i + 500]]})
            single = await _check_rate(client, codes, batch=1)
            batched = await _check_rate(client, codes, batch=CHECK_BATCH)
        imported = await bulk_import(p, issuer)
    finally:
        issuer.stop()
    service_p95, sql_p95 = p95(times), p95(baseline)
    return [
        Figure(
            "catalog.keyword_query_p95",
            round(service_p95, 2),
            "ms",
            round(sql_p95, 2),
            "< 50 ms",
            check(service_p95, "<=", 50.0),
            ratio(service_p95, sql_p95),
            notes=f"GET /v1/items?q={KEYWORD}&level&status over {ITEMS} items ({total} match per level), "
            "page and total in one statement on the bigram index; baseline: the same statement bare on asyncpg",
            extra={
                "median_ms": round(statistics.median(times), 2),
                "sql_median_ms": round(statistics.median(baseline), 2),
            },
        ),
        Figure(
            "catalog.code_check_rate",
            round(batched, 1),
            "checks/s",
            None,
            ">= 5000/s",
            check(batched, ">=", 5000),
            None,
            notes=f"POST /v1/code-checks, {CHECK_BATCH} codes per call, {CHECK_CONCURRENCY} concurrent callers, "
            f"cached; single GET per check: {single:,.0f}/s",
            extra={"single_call_checks_per_s": round(single, 1)},
        ),
        imported,
    ]


async def _check_rate(client: object, codes: list[str], *, batch: int) -> float:
    from httpx import AsyncClient

    assert isinstance(client, AsyncClient)
    hot = codes[:2000]
    done = 0
    deadline = time.perf_counter() + CHECK_SECONDS

    async def worker(seed: int) -> None:
        nonlocal done
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            if batch == 1:
                r = await client.get("/v1/code-checks", params={"code": rng.choice(hot)})
            else:
                r = await client.post(
                    "/v1/code-checks", json={"checks": [{"code": rng.choice(hot)} for _ in range(batch)]}
                )
            assert r.status_code == 200, r.text
            done += batch

    start = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CHECK_CONCURRENCY)))
    return done / (time.perf_counter() - start)
