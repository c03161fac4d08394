"""random-check-svc: a stratified draw of ~5% of 1,000,000 objects against merely reading the eligible population.

The draw is the real `POST /v1/draws/{id}/execute` through random-check-svc in process: population read
in strata, exclusions (deregistered and merged objects, objects checked recently by the plan's
departments, objects at the cap of checks across departments), a joint plan of three departments
(one visit, three tasks), inspectors assigned per department with avoidance (declared conflicts, the
inspectors of each object's previous check) and workload balance, the ledger written (17 MB of
population, avoidance pairs, outputs), visits and tasks inserted, the seed revealed, the event staged,
and the transaction committed.

Baseline, in the same run: the eligible population (the same exclusions) read from PostgreSQL as rows
with asyncpg (`SELECT object_id, credit class, lead, kind ...`), nothing else done with it.

Three draws on three joint plans with disjoint departments (so one draw's visits do not exclude the
next draw's objects as recently checked), interleaved with three reads; medians compared.
RANDOMCHECK_BENCH_OBJECTS scales the population down for a quick run (default 1,000,000).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.harness import Figure, check, ratio
from random_check_svc.main import create_app
from random_check_svc.settings import RandomCheckSettings
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.migrations import upgrade
from svc_runtime.testing import TestIssuer, create_database, serve_in_process, settings_for
from svc_runtime.workdays import CHINA_TZ

OBJECTS = int(os.environ.get("RANDOMCHECK_BENCH_OBJECTS", "1000000"))
RUNS = 3
DEPARTMENTS_PER_PLAN = 3
INSPECTORS_PER_DEPARTMENT = 150
REGION = "341600"  # 亳州市: objects spread over its counties
RATIOS = {"A": 0.0, "B": 0.043, "C": 0.108, "D": 0.43, "unclassified": 0.05}  # about 5% drawn in all
TARGET = 3.0


def item_code(run: int, department: int) -> str:
    return f"3416{run:02d}{department:02d}000001"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def seed(url: str, year: int) -> list[list[str]]:
    """Objects, departments, items, inspectors, earlier visits and tasks, conflicts and leads, all in SQL."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("SELECT setseed(0.2026)")
        await conn.execute(
            """
            INSERT INTO rc_objects (object_id, kind, name, uscc, region_code, industry_code, status, credit_class,
                                    version, source_time, stored_at)
            SELECT gen_random_uuid(), 'legal_person', '亳州市某某商贸有限公司' || i,
                   '91341600' || lpad(i::text, 10, '0'),
                   '3416' || lpad((1 + i % 23)::text, 2, '0'),
                   (ARRAY['F5221', 'H6210', 'C1469', 'F5251'])[1 + i % 4],
                   CASE WHEN r < 0.005 THEN 'deregistered' WHEN r < 0.007 THEN 'merged' ELSE 'active' END,
                   CASE WHEN c < 0.30 THEN 'A' WHEN c < 0.80 THEN 'B' WHEN c < 0.95 THEN 'C' WHEN c < 0.99 THEN 'D'
                        ELSE NULL END,
                   1, now(), now()
            FROM (SELECT i, random() AS r, random() AS c FROM generate_series(1, $1) AS i) s
            """,
            OBJECTS,
        )
        plans_departments: list[list[str]] = []
        for run in range(RUNS):
            departments = [str(uuid.uuid4()) for _ in range(DEPARTMENTS_PER_PLAN)]
            plans_departments.append(departments)
            for d_index, dept in enumerate(departments):
                code = item_code(run, d_index)
                await conn.execute(
                    "INSERT INTO rc_departments VALUES ($1, $2, 'market_regulation', $3, true, now())",
                    uuid.UUID(dept),
                    f"部门{run}-{d_index}",
                    REGION,
                )
                await conn.execute(
                    "INSERT INTO rc_items (item_id, code, version, kind, name, item_type, supervision_level, "
                    "implementing_department, region_code, domain, object_types, random_check, status, source_time) "
                    "VALUES (gen_random_uuid(), $1, 1, 'main', $2, 'administrative_inspection', 'city', '亳州市', "
                    "$3, $4, ARRAY['legal_person'], true, 'in_force', now())",
                    code,
                    f"抽查事项{code}",
                    REGION,
                    f"领域{run}{d_index}",
                )
                await conn.execute(
                    "INSERT INTO rc_inspectors SELECT gen_random_uuid(), '检查员' || i, $1, $2, 'Z' || i, "
                    "current_date - 365, current_date + 365, ARRAY[$3], 'active', now() "
                    "FROM generate_series(1, $4) AS i",
                    uuid.UUID(dept),
                    REGION,
                    code,
                    INSPECTORS_PER_DEPARTMENT,
                )
        # Earlier checks: an old plan and draw that own them.
        old_plan, old_draw = uuid.uuid4(), uuid.uuid4()
        first = plans_departments[0]
        await conn.execute(
            "INSERT INTO rc_plans (id, name, year, kind, status, department_id, region_code, class_ratios, lead_ratio, "
            "object_kinds, industry_codes, recent_check_days, max_checks_per_period, cap_period_days, "
            "inspectors_per_object, task_deadline_workdays, created_by) VALUES ($1, '往年计划', $2, 'joint', 'closed', "
            "$3, $4, '{}', 1, '{}', '{}', 180, 2, 365, 2, 20, 'bench')",
            old_plan,
            year - 1,
            uuid.UUID(first[0]),
            REGION,
        )
        await conn.execute(
            "INSERT INTO rc_draws (id, plan_id, department_id, region_code, status, algorithm, check_date, seed_hash, "
            "sealed_seed, created_by) VALUES ($1, $2, $3, $4, 'revealed', 'rc-draw/1', current_date - 300, "
            "repeat('0', 64), '\\x00', 'bench')",
            old_draw,
            old_plan,
            uuid.UUID(first[0]),
            REGION,
        )
        # 6% checked 300 days ago by a department of each plan (previous inspectors are avoided);
        # 2% checked 30 days ago by each plan's first department (recent: excluded from that plan);
        # 1% checked twice this year by an outside department (at the cap of 2: excluded everywhere).
        outside = str(uuid.uuid4())
        await conn.execute(
            """
            WITH o AS (SELECT object_id, region_code, row_number() OVER () AS n FROM rc_objects),
            picked AS (
                SELECT object_id, region_code, n,
                       CASE WHEN n % 100 < 6 THEN 'old' WHEN n % 100 < 8 THEN 'recent' WHEN n % 100 < 9 THEN 'cap'
                            ELSE NULL END AS why
                FROM o
            )
            INSERT INTO rc_visits (id, draw_id, plan_id, ordinal, object_id, stratum, region_code, department_ids,
                                   check_date, joint)
            SELECT gen_random_uuid(), $1, $2, row_number() OVER () - 1, object_id, 'B', region_code,
                   CASE why WHEN 'cap' THEN ARRAY[CAST($4 AS uuid)] ELSE CAST($3 AS uuid[]) END,
                   CASE why WHEN 'old' THEN current_date - 300 WHEN 'recent' THEN current_date - 30
                            ELSE current_date - 10 - k END,
                   false
            FROM picked, generate_series(1, CASE WHEN why = 'cap' THEN 2 ELSE 1 END) AS k
            WHERE why IS NOT NULL
            """,
            old_draw,
            old_plan,
            [d[0] for d in plans_departments],
            uuid.UUID(outside),
        )
        await conn.execute(
            """
            INSERT INTO rc_tasks (id, visit_id, draw_id, plan_id, department_id, object_id, region_code, item_codes,
                                  inspector_ids, status, check_date, due_date, category, problem_found, checked_on,
                                  submitted_at, published_at)
            SELECT gen_random_uuid(), v.id, v.draw_id, v.plan_id, d, v.object_id, v.region_code, ARRAY['x'],
                   ARRAY(SELECT user_id FROM rc_inspectors WHERE department_id = d
                         ORDER BY md5(v.id::text || user_id::text) LIMIT 2),
                   CASE WHEN v.check_date > current_date - 40 THEN 'assigned' ELSE 'published' END,
                   v.check_date, v.check_date + 28, 'no_problem', false, v.check_date, now(), now()
            FROM rc_visits v, unnest(v.department_ids) AS d
            WHERE v.check_date < current_date - 200
            """
        )
        await conn.execute(
            "INSERT INTO rc_conflicts (id, inspector_id, object_id, reason, department_id, region_code, declared_by) "
            "SELECT gen_random_uuid(), i.user_id, o.object_id, 'relative', i.department_id, i.region_code, 'bench' "
            "FROM (SELECT user_id, department_id, region_code, row_number() OVER () AS n FROM rc_inspectors) i "
            "JOIN (SELECT object_id, row_number() OVER () AS n FROM rc_objects TABLESAMPLE SYSTEM (1) LIMIT 5000) o "
            "ON o.n % 1350 = i.n % 1350"
        )
        await conn.execute(
            "INSERT INTO rc_leads (lead_id, source, object_id, detail, opened_at) "
            "SELECT gen_random_uuid(), 'risk_warning', object_id, '风险预警', now() FROM rc_objects "
            "WHERE credit_class = 'A' AND status = 'active' LIMIT $1",
            max(OBJECTS // 1000, 10),
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return plans_departments


_READ_SQL = """
WITH hist AS (
    SELECT v.object_id,
           count(*) FILTER (WHERE v.check_date >= $1) AS checks,
           bool_or(v.check_date > $2 AND v.department_ids && $3::uuid[]) AS recent
    FROM rc_visits v WHERE v.check_date >= LEAST($1, $2) GROUP BY v.object_id
),
leads AS (SELECT object_id, uscc FROM rc_leads WHERE closed_at IS NULL)
SELECT o.object_id, o.credit_class, o.kind,
       (o.object_id IN (SELECT object_id FROM leads WHERE object_id IS NOT NULL)
        OR o.uscc IN (SELECT uscc FROM leads WHERE uscc IS NOT NULL)) AS lead
FROM rc_objects o LEFT JOIN hist h ON h.object_id = o.object_id
WHERE o.region_code LIKE $4 AND o.kind = ANY($5::text[]) AND o.status = 'active'
  AND NOT coalesce(h.recent, false) AND coalesce(h.checks, 0) < $6
"""


async def read_eligible(url: str, departments: list[str]) -> tuple[float, int]:
    """The baseline: the eligible population as rows, nothing more."""
    today = datetime.now(CHINA_TZ).date()
    conn = await asyncpg.connect(_dsn(url))
    try:
        started = time.perf_counter()
        rows = await conn.fetch(
            _READ_SQL,
            today - timedelta(days=365),
            today - timedelta(days=180),
            departments,
            "3416%",
            ["legal_person"],
            2,
        )
        return time.perf_counter() - started, len(rows)
    finally:
        await conn.close()


async def run(p: Profile) -> list[Figure]:
    issuer = TestIssuer(p.issuer)
    issuer.start()
    year = datetime.now(CHINA_TZ).year
    today = datetime.now(CHINA_TZ).date()
    try:
        url = await create_database(p, f"bench_randomcheck_{uuid.uuid4().hex[:8]}")
        await asyncio.to_thread(upgrade, Path(repo_root()) / "services" / "random-check-svc" / "migrations", url)
        seed_started = time.perf_counter()
        plans_departments = await seed(url, year)
        seed_s = time.perf_counter() - seed_started
        settings = RandomCheckSettings(
            **settings_for(
                p,
                "random-check-svc",
                url,
                auth_jwks_url=issuer.jwks_url,
                run_background_workers=False,
                log_level="WARNING",
            )
        )
        draws: list[float] = []
        reads: list[float] = []
        summaries: list[dict[str, Any]] = []
        eligible = 0
        async with serve_in_process(create_app(settings)) as client:
            client.headers["authorization"] = f"Bearer {issuer.token()}"
            for run_index, departments in enumerate(plans_departments):
                r = await client.post(
                    "/v1/plans",
                    json={
                        "name": f"{year}年度跨部门联合抽查",
                        "year": year,
                        "region_code": REGION,
                        "department_id": departments[0],
                        "departments": [
                            {"department_id": d, "item_codes": [item_code(run_index, i)]}
                            for i, d in enumerate(departments)
                        ],
                        "class_ratios": RATIOS,
                        "lead_ratio": 1.0,
                    },
                )
                assert r.status_code == 201, r.text
                plan = r.json()
                r = await client.post(f"/v1/plans/{plan['id']}/draws", json={"check_date": str(today)})
                assert r.status_code == 201, r.text
                draw_id = r.json()["id"]

                read_s, eligible = await read_eligible(url, departments)
                reads.append(read_s)
                started = time.perf_counter()
                r = await client.post(f"/v1/draws/{draw_id}/execute", json={}, timeout=600)
                draws.append(time.perf_counter() - started)
                assert r.status_code == 200, r.text
                summaries.append(r.json()["summary"])
            verify_started = time.perf_counter()
            r = await client.post(f"/v1/draws/{draw_id}/verify", timeout=600)
            verify_s = time.perf_counter() - verify_started
            assert r.status_code == 200, r.text
            assert r.json()["verified"], r.text
    finally:
        issuer.stop()
    draw_s, read_s = statistics.median(draws), statistics.median(reads)
    last = summaries[-1]
    share = last["visits"] / OBJECTS
    return [
        Figure(
            "randomcheck.draw_vs_read",
            round(draw_s, 3),
            "s",
            round(read_s, 3),
            f"<= {TARGET:g}x read",
            check(ratio(draw_s, read_s), "<=", TARGET),
            ratio(draw_s, read_s),
            notes=f"{OBJECTS:,} objects ({eligible:,} eligible after exclusions), joint plan of "
            f"{DEPARTMENTS_PER_PLAN} departments x {INSPECTORS_PER_DEPARTMENT} inspectors; "
            f"{last['visits']:,} visits ({share:.1%}), {last['tasks']:,} tasks; POST /v1/draws/{{id}}/execute "
            "in process (read, sample, avoid, assign, ledger, visits+tasks, event, commit), median of "
            f"{RUNS}; baseline: asyncpg fetch of the eligible rows (same exclusions), median of {RUNS}; "
            "RANDOMCHECK_BENCH_OBJECTS scales it",
            extra={
                "objects": OBJECTS,
                "eligible": eligible,
                "visits": last["visits"],
                "tasks": last["tasks"],
                "excluded_inactive": last["excluded"]["inactive"],
                "excluded_recent": last["excluded"]["recent"],
                "excluded_cap": last["excluded"]["cap"],
                "avoided_pairs_previous": last["avoidance"]["previous"],
                "avoided_pairs_conflict": last["avoidance"]["conflict"],
                "draw_min_s": round(min(draws), 3),
                "read_min_s": round(min(reads), 3),
                "verify_s": round(verify_s, 3),
                "seed_s": round(seed_s, 1),
            },
        )
    ]
