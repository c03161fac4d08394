"""Joint supervision: reading the timeline of a task with 1,000 entries, through joint-svc in process.

The task is made through the API (an assistance request between two departments); its timeline is
filled to 1,000 entries of the kinds a busy task gathers (steps, comments with attachments, reminders).
The figure is the p95 of `GET /v1/tasks/{id}/timeline?limit=1000` as the receiving department, with
token check, data scope and JSON; the baseline is the same statement (scope-checked count and the page
of entries, which are stored rendered) as bare SQL on asyncpg, in the same run.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.harness import Figure, check, ratio
from joint_svc.main import create_app
from joint_svc.settings import JointSettings
from joint_svc.tasks.effects import render_entry
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.migrations import upgrade
from svc_runtime.testing import TestIssuer, create_database, serve_in_process, settings_for

EVENTS = 1_000
READS = 300
WARMUP = 30
TARGET_MS = 30.0
REGION = "341602"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def seed_departments(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Two departments in the directory (as auth-svc's events would have put them there)."""
    sender, receiver = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.executemany(
            "INSERT INTO joint_departments (department_id, name, department_type, region_code, active, changed_at) "
            "VALUES ($1, $2, $3, $4, true, now())",
            [
                (sender, "谯城区市场监督管理局", "market_regulation", REGION),
                (receiver, "谯城区卫生健康委员会", "health", REGION),
            ],
        )
    finally:
        await conn.close()
    return sender, receiver


async def fill_timeline(url: str, task_id: uuid.UUID, sender: uuid.UUID, receiver: uuid.UUID) -> None:
    """Entries 2..1000 as the service writes them: comments from both sides (every third with an attachment)
    and a reminder every 50th."""
    start = datetime.now(UTC) - timedelta(days=20)
    records = []
    for seq in range(2, EVENTS + 1):
        ours = seq % 2 == 0
        entry: dict[str, Any] = {
            "seq": seq,
            "at": start + timedelta(minutes=seq),
            "action": "reminder" if seq % 50 == 0 else "comment",
            "from_state": None,
            "to_state": None,
            "actor": f"user-health-{seq % 7}" if ours else f"user-market-{seq % 5}",
            "actor_side": "assignee" if ours else "initiator",
            "actor_department_id": receiver if ours else sender,
            "comment": f"第 {seq} 条办理意见：已联系当事人，核查其执业许可证、医师资格证书及近三个月诊疗记录。",
            "attachments": [
                {
                    "name": f"现场检查记录{seq}.pdf",
                    "media_type": "application/pdf",
                    "size_bytes": 180_000 + seq,
                    "sha256": hashlib.sha256(str(seq).encode()).hexdigest(),
                    "uri": None,
                }
            ]
            if seq % 3 == 0
            else [],
            "data": {"progress": seq % 100},
        }
        records.append(
            (
                task_id,
                *(entry[k] for k in ("seq", "at", "action", "from_state", "to_state", "actor", "actor_side")),
                entry["actor_department_id"],
                entry["comment"],
                orjson.dumps(entry["attachments"]).decode(),
                orjson.dumps(entry["data"]).decode(),
                render_entry(entry),
            )
        )
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.copy_records_to_table(
            "joint_task_events",
            records=records,
            columns=[
                "task_id",
                "seq",
                "at",
                "action",
                "from_state",
                "to_state",
                "actor",
                "actor_side",
                "actor_department_id",
                "comment",
                "attachments",
                "data",
                "rendered",
            ],
        )
        await conn.execute("UPDATE joint_tasks SET event_count = $2 WHERE id = $1", task_id, EVENTS)
        await conn.execute("ANALYZE joint_task_events")
    finally:
        await conn.close()


STATEMENT = (
    "SELECT t.event_count, page.entries, page.last FROM joint_tasks t JOIN ("
    "SELECT '[' || coalesce(string_agg(e.rendered, ',' ORDER BY e.seq), '') || ']' AS entries, max(e.seq) AS last "
    "FROM (SELECT seq, rendered FROM joint_task_events WHERE task_id = $1 AND seq > 0 ORDER BY seq LIMIT $3) e"
    ") page ON true WHERE t.id = $1 AND (t.initiator_department_id = $2 OR t.assignee_department_id = $2 "
    "OR t.escalated_to_department_id = $2)"
)


async def run(p: Profile) -> list[Figure]:
    issuer = TestIssuer(p.issuer)
    issuer.start()
    try:
        url = await create_database(p, f"bench_joint_{uuid.uuid4().hex[:8]}")
        await asyncio.to_thread(upgrade, Path(repo_root()) / "services" / "joint-svc" / "migrations", url)
        sender, receiver = await seed_departments(url)
        settings = JointSettings(
            **settings_for(p, "joint-svc", url, auth_jwks_url=issuer.jwks_url, run_background_workers=False)
        )
        as_sender = {
            "authorization": "Bearer "
            + issuer.token(roles=("inspector",), region_code=REGION, department_id=str(sender), ttl_s=3600)
        }
        as_receiver = {
            "authorization": "Bearer "
            + issuer.token(roles=("inspector",), region_code=REGION, department_id=str(receiver), ttl_s=3600)
        }
        async with serve_in_process(create_app(settings)) as client:
            r = await client.post(
                "/v1/assistance-requests",
                json={
                    "department_id": str(receiver),
                    "assistance_type": "investigation",
                    "title": "协查某诊所医师执业资格",
                    "content": "请协助核查该诊所医师执业资格与诊疗记录。",
                },
                headers=as_sender,
            )
            assert r.status_code == 201, r.text
            task_id = uuid.UUID(r.json()["id"])
            await fill_timeline(url, task_id, sender, receiver)
            # service and bare SQL alternate, so both see the same load of the shared machine
            conn = await asyncpg.connect(_dsn(url))
            times, baseline = [], []
            try:
                for i in range(WARMUP + READS):
                    t = time.perf_counter()
                    r = await client.get(f"/v1/tasks/{task_id}/timeline", params={"limit": EVENTS}, headers=as_receiver)
                    elapsed = (time.perf_counter() - t) * 1000
                    assert r.status_code == 200, r.text
                    t = time.perf_counter()
                    row = await conn.fetchrow(STATEMENT, task_id, receiver, EVENTS)
                    sql_elapsed = (time.perf_counter() - t) * 1000
                    if i >= WARMUP:
                        times.append(elapsed)
                        baseline.append(sql_elapsed)
            finally:
                await conn.close()
            assert row is not None
            assert row["last"] == EVENTS
            body = r.json()
            assert body["total"] == EVENTS
            assert len(body["items"]) == EVENTS
            assert body["items"][-1]["seq"] == EVENTS
            size = len(r.content)
    finally:
        issuer.stop()
    service_p95, sql_p95 = p95(times), p95(baseline)
    return [
        Figure(
            "joint.timeline_read_p95",
            round(service_p95, 2),
            "ms",
            round(sql_p95, 2),
            f"< {TARGET_MS:.0f} ms",
            check(service_p95, "<=", TARGET_MS),
            ratio(service_p95, sql_p95),
            notes=f"GET /v1/tasks/{{id}}/timeline?limit={EVENTS} on a task with {EVENTS} entries ({size // 1024} KiB "
            "of JSON), as the receiving department, in process; baseline: the same statement (scope-checked count and "
            "the page of entries stored rendered) as bare SQL on asyncpg",
            extra={
                "median_ms": round(statistics.median(times), 2),
                "sql_median_ms": round(statistics.median(baseline), 2),
                "response_kib": round(size / 1024, 1),
            },
        )
    ]
