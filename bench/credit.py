"""credit-svc: a full recompute of CREDIT_BENCH_OBJECTS objects (default 1,000,000) against reading its inputs,
and the latency from an event committed in a producing service's outbox to the GradeChanged event published.

The data set is generated in PostgreSQL: objects across 12 counties and 40 departments, about 1.5 signals
(inspections, complaints, reports, third-party data, enforcement measures), 0.2 credit records (penalties,
abnormal-operation, serious-violation, red and black entries, commendations), 0.02 risk warnings per object,
and one manual class override (人工调整) in force per thousand objects.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import text

from bench.harness import Figure, check, ratio
from credit_svc.dates import today
from credit_svc.grading.recompute import full_recompute
from credit_svc.grading.schemes import ensure_default_schemes
from credit_svc.models import load_all_models
from credit_svc.settings import CreditSettings
from supervision_schemas import TopicSpec
from supervision_schemas.datahub import BehaviourRecorded, BehaviourRecordedData, BehaviourType
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.kafka import ensure_topics
from svc_runtime.migrations import upgrade
from svc_runtime.outbox import OutboxRelay, outbox_row, stage_rows
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import create_database

OBJECTS = int(os.environ.get("CREDIT_BENCH_OBJECTS", "1000000"))
LATENCY_RATE = 200  # events/s
LATENCY_SECONDS = 10
MIGRATIONS = repo_root() / "services" / "credit-svc" / "migrations"

REGIONS = (
    "ARRAY['341602','341621','341622','341623','340102','340103','340104','340111','340121','370102','370103','370104']"
)
GENERATE = [
    "CREATE UNLOGGED TABLE bench_ids AS SELECT n, gen_random_uuid() AS object_id FROM generate_series(1, :n) n",
    "CREATE UNIQUE INDEX ON bench_ids (n)",
    f"""INSERT INTO credit_objects (object_id, kind, name, uscc, owner_uscc, code, region_code, department_id,
            industry_code, version, source_time, input_version)
        SELECT object_id,
               CASE WHEN n % 10 < 8 THEN 'legal_person' WHEN n % 10 = 8 THEN 'equipment' ELSE 'site' END,
               '基准对象' || n,
               CASE WHEN n % 10 < 8 THEN '9134' || lpad(n::text, 14, '0') END,
               CASE WHEN n % 10 = 8 AND n % 3 > 0 THEN '9134' || lpad((n - 1)::text, 14, '0') END,
               CASE WHEN n % 10 >= 8 THEN 'EQ' || n END,
               ({REGIONS})[1 + n % 12],
               CASE WHEN n % 5 = 0 THEN NULL ELSE md5('dept' || (n % 40))::uuid END,
               (ARRAY['F5251', 'Q8411', 'C1491', 'H6210', NULL])[1 + n % 5],
               1, now(), 1
        FROM bench_ids""",
    # manual class overrides in force (人工调整): one object in a thousand
    """INSERT INTO credit_grade_overrides (id, object_id, risk_class, status, reason, legal_basis, valid_from,
            valid_until, region_code, department_id, decided_by)
        SELECT gen_random_uuid(), o.object_id, (ARRAY['A', 'B', 'C', 'D'])[1 + (i.n / 1000) % 4], 'active',
               '基准人工调整', '基准依据', CAST(:today AS date) - 10, CAST(:today AS date) + 80, o.region_code,
               o.department_id, 'bench'
        FROM bench_ids i JOIN credit_objects o USING (object_id) WHERE i.n % 1000 = 7""",
    """INSERT INTO credit_signals (object_id, origin_object_id, kind, occurred_on, source_ref)
        SELECT i.object_id, i.object_id,
               (ARRAY['inspection_passed', 'inspection_passed', 'inspection_failed', 'complaint', 'complaint',
                      'report', 'third_party', 'third_party_adverse', 'enforcement_measure', 'inspection'])[1 + s % 10],
               CAST(:today AS date) - (random() * 1000)::int, 'b:' || s
        FROM (SELECT s, 1 + floor(random() * :n)::int AS n FROM generate_series(1, :signals) s) x
        JOIN bench_ids i USING (n)""",
    """INSERT INTO credit_records (id, object_id, origin_object_id, uscc, object_name, record_type, status, automatic,
            source, region_code, reason, decided_on, effective_from, effective_until, ended_on, amount, public,
            created_by)
        SELECT gen_random_uuid(), i.object_id, i.object_id, o.uscc, o.name, t.record_type,
               CASE WHEN s % 7 = 0 THEN 'removed' ELSE 'active' END, false, 'bench', o.region_code, '基准记录',
               t.decided_on, t.decided_on, NULL,
               CASE WHEN s % 7 = 0 THEN t.decided_on + 200 END,
               CASE WHEN t.record_type = 'penalty' THEN (random() * 200000)::numeric(18, 2) END, true, 'bench'
        FROM (SELECT s, 1 + floor(random() * :n)::int AS n FROM generate_series(1, :records) s) x
        JOIN bench_ids i USING (n)
        JOIN credit_objects o ON o.object_id = i.object_id
        CROSS JOIN LATERAL (SELECT
            (ARRAY['penalty', 'penalty', 'penalty', 'penalty', 'penalty', 'penalty', 'penalty', 'penalty',
                   'penalty', 'penalty', 'abnormal_operation', 'abnormal_operation', 'abnormal_operation',
                   'serious_violation', 'red_list', 'black_list', 'commendation', 'commendation',
                   'penalty', 'abnormal_operation'])[1 + x.s % 20] AS record_type,
            CAST(:today AS date) - (random() * 1800)::int AS decided_on) t""",
    """INSERT INTO credit_warnings (warning_id, object_id, object_key, level, level_rank, score, model_key, title,
            status, raised_at, updated_at, closed_at)
        SELECT gen_random_uuid(), i.object_id, 'obj:' || i.object_id, (ARRAY['blue', 'yellow', 'orange', 'red'])[1 + s % 4],
               1 + s % 4, 0.8, 'bench', '基准预警', CASE WHEN s % 2 = 0 THEN 'closed' ELSE 'open' END,
               now() - interval '30 days', now(), CASE WHEN s % 2 = 0 THEN now() - interval '1 day' END
        FROM (SELECT s, 1 + floor(random() * :n)::int AS n FROM generate_series(1, :warnings) s) x
        JOIN bench_ids i USING (n)""",
]

INPUT_QUERIES = [
    "SELECT object_id, kind, uscc, owner_uscc, code, region_code, department_id, industry_code, input_version "
    "FROM credit_objects WHERE status = 'active'",
    "SELECT object_id, kind, occurred_on FROM credit_signals WHERE object_id IS NOT NULL",
    "SELECT object_id, record_type, status, automatic, decided_on, effective_from, effective_until, ended_on, amount "
    "FROM credit_records",
    "SELECT object_id, level_rank, raised_at, closed_at FROM credit_warnings",
    "SELECT object_id, scheme_id, score, class_rank FROM credit_grades",
    "SELECT object_id, risk_class, valid_from, valid_until FROM credit_grade_overrides WHERE status = 'active'",
]


def numbered(statement: str) -> tuple[str, list[str]]:
    """`:name` parameters as asyncpg's `$n` (casts like `::int` untouched), and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"(?<!:):([a-z_]+)\b", number, statement), names


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def prepare(p: Profile, n: int) -> str:
    """A credit database with n objects and their inputs (generated in SQL), vacuumed and analysed."""
    url = await create_database(p, "bench_credit")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    conn = await asyncpg.connect(_dsn(url))
    try:
        params = {
            "n": n,
            "signals": int(n * 1.5),
            "records": int(n * 0.2),
            "warnings": int(n * 0.02),
            "today": today(),
        }
        for statement in GENERATE:
            sql, names = numbered(statement)
            await conn.execute(sql, *(params[k] for k in names))
        await conn.execute("DROP TABLE bench_ids")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return url


async def read_inputs(url: str) -> tuple[float, int]:
    """Seconds to fetch every input row of a recompute into the client (plain SELECTs), and the row count."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        t = time.perf_counter()
        rows = 0
        for query in INPUT_QUERIES:
            rows += len(await conn.fetch(query))
        return time.perf_counter() - t, rows
    finally:
        await conn.close()


async def recompute(url: str, settings: CreditSettings) -> tuple[float, dict[str, Any]]:
    engine = create_engine(url, pool_size=2)
    try:
        t = time.perf_counter()
        result = await full_recompute(create_sessionmaker(engine), settings, job_id=None)
        return time.perf_counter() - t, result
    finally:
        await engine.dispose()


SHIFT_DAYS = 30
#: "A month later": every dated input moves 30 days into the past, as if the month had passed.
SHIFT = [
    "UPDATE credit_signals SET occurred_on = occurred_on - :days",
    "UPDATE credit_records SET decided_on = decided_on - :days, effective_from = effective_from - :days, "
    "effective_until = effective_until - :days, ended_on = ended_on - :days",
    "UPDATE credit_warnings SET raised_at = raised_at - make_interval(days => :days), "
    "closed_at = closed_at - make_interval(days => :days)",
]


async def shift_month(url: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        for statement in SHIFT:
            await conn.execute(statement.replace(":days", "$1::int"), SHIFT_DAYS)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def full_recompute_figures(p: Profile) -> tuple[Figure, str]:
    load_all_models()
    url = await prepare(p, OBJECTS)
    settings = CreditSettings(database_url=url, service_name="bench-credit")
    engine = create_engine(url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        await ensure_default_schemes(session, 4)
    await engine.dispose()
    first_s, first = await recompute(url, settings)  # every object graded for the first time
    await _vacuum(url)
    reads = [await read_inputs(url) for _ in range(2)]
    baseline = min(r[0] for r in reads)
    await shift_month(url)
    value, result = await recompute(url, settings)  # the monthly recompute: windows moved on by a month
    await _vacuum(url)
    steady_s, _ = await recompute(url, settings)  # nothing changed since: every object read and scored
    rows = reads[0][1]
    figure = Figure(
        "credit.full_recompute",
        round(value, 2),
        "s",
        round(baseline, 2),
        "<= 3x reading the inputs",
        check(value / baseline, "<=", 3.0),
        ratio(value, baseline),
        notes=(
            f"{result['objects']:,} objects, {rows:,} input rows; recompute a month after the last one (every dated "
            f"input {SHIFT_DAYS} days older): {result['changed']:,} grades changed (history rows and GradeChanged "
            "events written); one object in a thousand under a manual class override; baseline: fetching every "
            "input row (objects, signals, records, warnings, current grades, overrides) with plain SELECTs. "
            "first_grading_*: every object graded for the first time (all written)"
        ),
        extra={
            "objects": float(result["objects"]),
            "changed": float(result["changed"]),
            "read_s": result["read_s"],
            "score_s": result["score_s"],
            "write_s": result["write_s"],
            "first_grading_s": round(first_s, 2),
            "first_grading_changed": float(first["changed"]),
            "first_grading_ratio": ratio(first_s, baseline),
            "unchanged_recompute_s": round(steady_s, 2),
            "unchanged_recompute_ratio": ratio(steady_s, baseline),
        },
    )
    return figure, url


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("VACUUM ANALYZE credit_grades")
        await conn.execute("TRUNCATE outbox_events")
    finally:
        await conn.close()


def penalty(object_id: uuid.UUID, uscc: str | None, region: str) -> BehaviourRecorded:
    return BehaviourRecorded.build(
        source="/bench-datahub",
        subject=str(object_id),
        data=BehaviourRecordedData(
            record_id=uuid.uuid4(),
            record_type=BehaviourType.PENALTY,
            record_code=f"基准罚字{uuid.uuid4().hex[:8]}",
            item_code="34160000000001",
            object_id=object_id,
            object_uscc=uscc,
            object_name="基准对象",
            region_code=region,
            acted_on=date.today(),
            penalty_amount="20000",
            recorded_at=datetime.now(UTC),
        ),
    )


def _spawn(p: Profile, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "REDIS_URL": p.redis_url, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.credit_proc", *args], stdout=subprocess.PIPE, text=True, cwd=repo_root(), env=env
    )


async def latency(p: Profile, credit_url: str) -> tuple[list[float], int]:
    """Milliseconds from each penalty's commit in a producing outbox to its GradeChanged event acknowledged."""
    suffix = uuid.uuid4().hex[:8]
    topic, grades_topic = f"bench.credit.behaviour.{suffix}", f"bench.credit.grades.{suffix}"
    producer_url = await create_database(p, "bench_credit_source")
    await asyncio.to_thread(upgrade, MIGRATIONS, producer_url)
    settings = ServiceSettings(
        service_name="bench-source", database_url=producer_url, kafka_bootstrap=p.kafka_bootstrap
    )
    await ensure_topics(settings, [TopicSpec(topic, 6, "bench"), TopicSpec(grades_topic, 6, "bench")])
    conn = await asyncpg.connect(_dsn(credit_url))
    try:
        # The bench database's grade events go to a bench topic, not to the platform's.
        await conn.execute(
            f"""CREATE OR REPLACE FUNCTION bench_topic() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.topic := '{grades_topic}'; RETURN NEW; END $$;
                CREATE OR REPLACE TRIGGER bench_topic BEFORE INSERT ON outbox_events FOR EACH ROW EXECUTE FUNCTION bench_topic();
                TRUNCATE outbox_events"""
        )
        sample = await conn.fetch(
            "SELECT object_id, uscc, region_code FROM credit_objects ORDER BY random() LIMIT $1",
            LATENCY_RATE * LATENCY_SECONDS + 100,
        )
    finally:
        await conn.close()
    prod_engine = create_engine(producer_url, pool_size=4)
    credit_engine = create_engine(credit_url, pool_size=2)
    sessionmaker = create_sessionmaker(prod_engine)
    relay = OutboxRelay(settings, prod_engine)
    relay_task = asyncio.create_task(relay.run())
    proc = _spawn(p, credit_url, topic, f"bench-credit-{suffix}", p.kafka_bootstrap)
    assert proc.stdout is not None
    objects = [(r["object_id"], r["uscc"], r["region_code"]) for r in sample]
    random.Random(3).shuffle(objects)
    committed: dict[str, float] = {}
    try:
        await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout=60)  # ready
        warm = [penalty(*objects.pop()) for _ in range(50)]
        async with sessionmaker() as session, session.begin():
            await stage_rows(session, [outbox_row(e, topic) for e in warm])
        await asyncio.sleep(3)
        per_tick = 5
        tick = per_tick / LATENCY_RATE
        total = LATENCY_RATE * LATENCY_SECONDS
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for n in range(0, total, per_tick):
            batch = [penalty(*objects.pop()) for _ in range(per_tick)]
            async with sessionmaker() as session, session.begin():
                await stage_rows(session, [outbox_row(e, topic) for e in batch])
            now = time.time()
            for e in batch:
                committed[e.id] = now
            delay = t0 + ((n // per_tick) + 1) * tick - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

        async def sent() -> list[Any]:
            async with credit_engine.connect() as c:
                return list(
                    (
                        await c.execute(
                            text(
                                "SELECT payload, extract(epoch FROM sent_at) FROM outbox_events "
                                "WHERE sent_at IS NOT NULL AND event_type = 'gov.supervision.credit.grade.changed.v1'"
                            )
                        )
                    ).all()
                )

        deadline = loop.time() + 60
        rows = await sent()
        while loop.time() < deadline:
            rows = await sent()
            if sum(1 for r in rows if orjson.loads(r[0])["trigger_event_id"] in committed) >= total:
                break
            await asyncio.sleep(0.5)
        latencies = []
        for payload, sent_at in rows:
            trigger = orjson.loads(payload)["trigger_event_id"]
            if trigger in committed:
                latencies.append((float(sent_at) - committed[trigger]) * 1000)
        return latencies, total
    finally:
        proc.terminate()
        proc.wait(10)
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await prod_engine.dispose()
        await credit_engine.dispose()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else float("inf")


async def run(p: Profile) -> list[Figure]:
    recompute_figure, url = await full_recompute_figures(p)
    latencies, sent = await latency(p, url)
    lat99 = p99(latencies)
    return [
        recompute_figure,
        Figure(
            "credit.incremental_regrade_p99",
            round(lat99, 1),
            "ms",
            None,
            f"< 1000 ms at {LATENCY_RATE} events/s",
            lat99 < 1000 and len(latencies) >= 0.95 * sent,
            None,
            notes=(
                f"{len(latencies)} of {sent} penalties regraded at {LATENCY_RATE}/s over {OBJECTS:,} graded objects; "
                "commit in a producing outbox -> relay -> credit consumer (inputs, regrade, history, event in one "
                "transaction) -> GradeChanged outbox -> relay ack"
            ),
            extra={
                "p50_ms": round(statistics.median(latencies), 1) if latencies else -1.0,
                "max_ms": round(max(latencies), 1) if latencies else -1.0,
            },
        ),
    ]
