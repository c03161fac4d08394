"""Event backbone: outbox insert -> relay -> Kafka -> idempotent consume, against raw aiokafka.

The producing side (inserts and the relay) runs in this process and the consumer in another, as two
services would. Baseline: the same messages produced with aiokafka (batched, acks=all) and consumed
by a plain aiokafka consumer process on the same broker.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from sqlalchemy import text

from bench.harness import Figure, check, ratio
from supervision_schemas import TopicSpec
from supervision_schemas.catalog import ItemCreated
from svc_runtime.cloudevents import to_kafka
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.kafka import create_producer, ensure_topics
from svc_runtime.migrations import upgrade
from svc_runtime.outbox import OutboxRelay, outbox_row, stage_rows
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import create_database, sample_item_created

THROUGHPUT_EVENTS = 30_000
LATENCY_RATE = 1_000  # events/s
LATENCY_SECONDS = 5
BATCH = 500  # rows per inserting transaction


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.consumer_proc", *args], stdout=subprocess.PIPE, text=True, cwd=repo_root()
    )


async def raw_rate(p: Profile, events: list[ItemCreated]) -> float:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    settings = ServiceSettings(kafka_bootstrap=p.kafka_bootstrap)
    await ensure_topics(settings, [TopicSpec(topic, 6, "bench")])
    proc = _spawn("raw", topic, str(len(events)), p.kafka_bootstrap)
    assert proc.stdout is not None
    await asyncio.to_thread(proc.stdout.readline)  # consumer ready
    messages = [to_kafka(e) for e in events]
    producer = create_producer(settings)
    await producer.start()
    start = time.time()
    try:
        for i in range(0, len(messages), BATCH):
            futures = [await producer.send(topic, value=v, key=k, headers=h) for k, v, h in messages[i : i + BATCH]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    line = await asyncio.to_thread(proc.stdout.readline)
    proc.wait(30)
    return len(events) / (float(line.split()[1]) - start)


async def _migrated(p: Profile, service_dir: str, name: str) -> str:
    url = await create_database(p, name)
    await asyncio.to_thread(upgrade, repo_root() / "services" / service_dir / "migrations", url)
    return url


async def _count(engine: Any, group: str) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(text("SELECT count(*) FROM processed_events WHERE consumer_group = :g"), {"g": group})
        )


async def outbox_pipeline(p: Profile) -> tuple[float, list[float]]:
    """(events/s for a burst, commit-to-consumed latencies in ms at a steady rate)."""
    topic = f"bench.outbox.{uuid.uuid4().hex[:8]}"
    group = f"bench-{uuid.uuid4().hex[:8]}"
    prod_url = await _migrated(p, "catalog-svc", "bench_producer")
    cons_url = await _migrated(p, "datahub-svc", "bench_consumer")
    settings = ServiceSettings(service_name="bench-producer", database_url=prod_url, kafka_bootstrap=p.kafka_bootstrap)
    await ensure_topics(settings, [TopicSpec(topic, 6, "bench")])
    prod_engine = create_engine(prod_url, pool_size=4)
    cons_engine = create_engine(cons_url, pool_size=2)
    sessionmaker = create_sessionmaker(prod_engine)
    relay = OutboxRelay(settings, prod_engine)
    relay_task = asyncio.create_task(relay.run())
    proc = _spawn("outbox", cons_url, topic, group, p.kafka_bootstrap)
    try:
        # Warm up: consumer joined, relay connected.
        warm = [outbox_row(sample_item_created(i), topic) for i in range(50)]
        async with sessionmaker() as session, session.begin():
            await stage_rows(session, warm)
        while await _count(cons_engine, group) < len(warm):
            await asyncio.sleep(0.2)

        rows = [outbox_row(sample_item_created(i), topic) for i in range(THROUGHPUT_EVENTS)]
        target = len(warm) + len(rows)
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            async with sessionmaker() as session, session.begin():
                await stage_rows(session, rows[i : i + BATCH])
        while await _count(cons_engine, group) < target:
            await asyncio.sleep(0.05)
        throughput = len(rows) / (time.perf_counter() - start)

        # Steady rate: LATENCY_RATE events/s in small transactions; latency = stored_at - event time.
        marker = f"latency-{uuid.uuid4().hex[:6]}"
        per_tick, tick = 10, 10 / LATENCY_RATE
        total = LATENCY_RATE * LATENCY_SECONDS
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for n in range(0, total, per_tick):
            batch = [
                outbox_row(sample_item_created(n + j).model_copy(update={"source": marker}), topic)
                for j in range(per_tick)
            ]
            async with sessionmaker() as session, session.begin():
                await stage_rows(session, batch)
            delay = t0 + ((n // per_tick) + 1) * tick - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        target += total
        while await _count(cons_engine, group) < target:
            await asyncio.sleep(0.05)
        async with cons_engine.connect() as conn:
            result = await conn.execute(
                text(
                    "SELECT extract(epoch FROM stored_at - source_time) * 1000 FROM catalog_items "
                    "ORDER BY source_time DESC LIMIT :n"
                ),
                {"n": total},
            )
            latencies = [float(r[0]) for r in result]
        return throughput, latencies
    finally:
        proc.terminate()
        proc.wait(10)
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await prod_engine.dispose()
        await cons_engine.dispose()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def run(p: Profile) -> list[Figure]:
    events = [sample_item_created(i) for i in range(THROUGHPUT_EVENTS)]
    raw = await raw_rate(p, events)
    throughput, latencies = await outbox_pipeline(p)
    lat99 = p99(latencies)
    return [
        Figure(
            "backbone.outbox_to_consumer_throughput",
            round(throughput, 1),
            "events/s",
            round(raw, 1),
            ">= 5000/s and >= 25% of raw",
            check(throughput, ">=", 5000) and throughput / raw >= 0.25,
            ratio(throughput, raw),
            notes=f"{THROUGHPUT_EVENTS} events; baseline: raw aiokafka produce+consume, same broker",
        ),
        Figure(
            "backbone.commit_to_consumed_p99",
            round(lat99, 1),
            "ms",
            None,
            "< 200 ms at 1000 events/s",
            lat99 < 200,
            None,
            notes=f"{len(latencies)} events at {LATENCY_RATE}/s; median {statistics.median(latencies):.1f} ms",
            extra={"p50_ms": round(statistics.median(latencies), 1), "max_ms": round(max(latencies), 1)},
        ),
    ]
