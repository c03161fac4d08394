"""risk-svc: scoring throughput with the five models against the same consumer without scoring, and the
latency from an event committed in a producing service's outbox to the warning event published.

The consumer runs in its own process (`bench.risk_proc`), as the service would, with the runtime's
EventConsumer and risk-svc's handlers; events are third-party observations over a few thousand objects.
Latency is taken when a stock consumer of the warnings topic receives the warning (published, plus at most
one fetch of that subscriber); the time to the risk relay claiming the warning row (`sent_at`, the start of
the relay's transaction, before its send is acknowledged) is reported beside it.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from aiokafka import TopicPartition
from sqlalchemy import text

from bench.harness import Figure, check, ratio
from risk_svc.riskmodels.service import ensure_builtin_models
from supervision_schemas import TopicSpec
from supervision_schemas.identifiers import uscc_check_char
from supervision_schemas.risk import RISK_WARNINGS_TOPIC
from supervision_schemas.signals import (
    ObservationCategory,
    ObservationKind,
    ObservationRecorded,
    ObservationRecordedData,
    SignalObject,
)
from svc_runtime.cloudevents import to_kafka
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile, repo_root
from svc_runtime.kafka import create_consumer, create_producer, ensure_topics, topic_specs
from svc_runtime.migrations import upgrade
from svc_runtime.outbox import OutboxRelay, outbox_row, stage_rows
from svc_runtime.settings import ServiceSettings
from svc_runtime.testing import create_database

THROUGHPUT_EVENTS = 30_000
OBJECTS = 5_000
LATENCY_RATE = 1_000  # events/s
LATENCY_SECONDS = 5
RISK_MIGRATIONS = "risk-svc"
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(i: int) -> str:
    body = f"91341600{i:09d}"
    body = "".join(c if c in _CHARS else "1" for c in body)
    return body + uscc_check_char(body)


def observation(
    rng: random.Random, obj: int, *, kind: str | None = None, at: datetime | None = None
) -> ObservationRecorded:
    code = uscc(obj)
    roll = rng.random() if kind is None else 0.0
    values: dict[str, float]
    if kind == "medical_ad" or roll < 0.3:
        k, cat, values = (
            ObservationKind.ADVERTISING_MONITORING,
            ObservationCategory.MEDICAL_SERVICE,
            {"severity": round(rng.betavariate(2, 4) if kind is None else 0.95, 3)},
        )
    elif roll < 0.45:
        k, cat = ObservationKind.ADVERTISING_MONITORING, ObservationCategory.FINANCIAL_PRODUCT
        values = {"promised_annual_return": round(rng.gammavariate(3, 3), 2)}
    elif roll < 0.7:
        k = ObservationKind.ONLINE_LISTING
        cat = rng.choice(
            [ObservationCategory.DRUG, ObservationCategory.PRESCRIPTION_DRUG, ObservationCategory.MEDICAL_DEVICE]
        )
        values = {
            "listings": float(rng.randint(1, 4)),
            "unlicensed": float(rng.random() < 0.1),
            "prescription_verified": float(rng.random() > 0.2),
            "unregistered": float(rng.random() < 0.1),
        }
    elif roll < 0.85:
        k, cat, values = ObservationKind.IOT_READING, ObservationCategory.MEDICAL_DEVICE, {"reading": rng.random() * 10}
    else:
        k, cat = ObservationKind.PUBLIC_OPINION, ObservationCategory.OTHER
        values = {"mentions": float(rng.randint(1, 20)), "sentiment": round(rng.uniform(-1, 1), 2)}
    return ObservationRecorded.build(
        source="/bench-monitoring",
        subject=code,
        data=ObservationRecordedData(
            observation_id=uuid.uuid4(),
            kind=k,
            category=cat,
            object=SignalObject(
                uscc=code,
                name=f"基准对象{obj}",
                region_code="341602",
                industry_code=rng.choice(["F5251", "Q8411", "J6621"]),
            ),
            observed_at=at or datetime.now(UTC) - timedelta(days=rng.randint(0, 40), seconds=rng.randint(0, 86_399)),
            channel="bench",
            values=values,
            threshold_exceeded=k is ObservationKind.IOT_READING and values.get("reading", 0) > 8,
        ),
    )


def _spawn(p: Profile, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "REDIS_URL": p.redis_url, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.risk_proc", *args], stdout=subprocess.PIPE, text=True, cwd=repo_root(), env=env
    )


async def _risk_db(p: Profile, name: str, *, seed_models: bool) -> str:
    url = await create_database(p, name)
    await asyncio.to_thread(upgrade, repo_root() / "services" / RISK_MIGRATIONS / "migrations", url)
    if seed_models:
        engine = create_engine(url, pool_size=1)
        async with create_sessionmaker(engine)() as session, session.begin():
            await ensure_builtin_models(session, actor="bench")
        await engine.dispose()
    return url


async def _produce(settings: ServiceSettings, topic: str, events: list[ObservationRecorded]) -> None:
    producer = create_producer(settings)
    await producer.start()
    try:
        messages = [to_kafka(e) for e in events]
        for i in range(0, len(messages), 1000):
            futures = [await producer.send(topic, value=v, key=k, headers=h) for k, v, h in messages[i : i + 1000]]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def consume_rate(p: Profile, topic: str, mode: str, expected: int) -> float:
    url = await _risk_db(p, f"bench_risk_{mode}", seed_models=mode == "scoring")
    proc = _spawn(p, url, topic, f"bench-risk-{mode}-{uuid.uuid4().hex[:6]}", p.kafka_bootstrap, mode, str(expected))
    assert proc.stdout is not None
    try:
        await asyncio.to_thread(proc.stdout.readline)  # ready
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout=300)
        return float(line.split()[1])
    finally:
        proc.terminate()
        proc.wait(10)


async def throughput(p: Profile) -> tuple[float, float]:
    """(events/s with the five models scoring, events/s of the same consumer maintaining features only)."""
    settings = ServiceSettings(kafka_bootstrap=p.kafka_bootstrap)
    topic = f"bench.risk.obs.{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [TopicSpec(topic, 6, "bench")])
    rng = random.Random(7)
    events = [observation(rng, rng.randrange(OBJECTS)) for _ in range(THROUGHPUT_EVENTS)]
    await _produce(settings, topic, events)
    baseline = await consume_rate(p, topic, "features", len(events))
    scoring = await consume_rate(p, topic, "scoring", len(events))
    return scoring, baseline


async def _watch_warnings(settings: ServiceSettings, arrivals: dict[str, float], ready: asyncio.Event) -> None:
    """Record when each warning-raised event reaches a subscriber (a stock consumer of the warnings topic)."""
    consumer = create_consumer(settings, "bench-risk-watch", (), group_id=None, fetch_max_wait_ms=5)
    await consumer.start()
    try:
        await ensure_topics(settings, topic_specs([RISK_WARNINGS_TOPIC]))
        partitions = [
            TopicPartition(RISK_WARNINGS_TOPIC, i) for i in range(topic_specs([RISK_WARNINGS_TOPIC])[0].partitions)
        ]
        consumer.assign(partitions)
        for tp, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(tp, offset)  # only what is published from now on
        ready.set()
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for r in records:
                    if dict(r.headers).get("ce_type") == b"gov.supervision.risk.warning.raised.v1":
                        arrivals.setdefault(orjson.loads(r.value)["trigger_event_id"], now)
    finally:
        await consumer.stop()


async def latency(p: Profile) -> tuple[list[float], list[float], int]:
    """Milliseconds from each event's commit in a producing outbox to its warning event reaching a subscriber
    (and, for comparison, to the risk relay claiming the warning row), and how many events were sent."""
    topic = f"bench.risk.lat.{uuid.uuid4().hex[:8]}"
    producer_url = await _risk_db(p, "bench_risk_source", seed_models=False)
    risk_url = await _risk_db(p, "bench_risk_latency", seed_models=True)
    settings = ServiceSettings(
        service_name="bench-source", database_url=producer_url, kafka_bootstrap=p.kafka_bootstrap
    )
    await ensure_topics(settings, [TopicSpec(topic, 6, "bench")])
    prod_engine = create_engine(producer_url, pool_size=4)
    risk_engine = create_engine(risk_url, pool_size=2)
    sessionmaker = create_sessionmaker(prod_engine)
    relay = OutboxRelay(settings, prod_engine)
    relay_task = asyncio.create_task(relay.run())
    arrivals: dict[str, float] = {}
    watching = asyncio.Event()
    watch_task = asyncio.create_task(_watch_warnings(settings, arrivals, watching))
    proc = _spawn(p, risk_url, topic, f"bench-risk-lat-{uuid.uuid4().hex[:6]}", p.kafka_bootstrap, "scoring", "0")
    assert proc.stdout is not None
    rng = random.Random(11)
    committed: dict[str, float] = {}
    try:
        await asyncio.to_thread(proc.stdout.readline)  # ready
        await asyncio.wait_for(watching.wait(), timeout=60)
        warm = [observation(rng, 900_000 + i, kind="medical_ad", at=datetime.now(UTC)) for i in range(50)]
        async with sessionmaker() as session, session.begin():
            await stage_rows(session, [outbox_row(e, topic) for e in warm])
        await asyncio.sleep(3)
        per_tick, tick = 10, 10 / LATENCY_RATE
        total = LATENCY_RATE * LATENCY_SECONDS
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for n in range(0, total, per_tick):
            batch = [
                observation(rng, 1_000_000 + n + j, kind="medical_ad", at=datetime.now(UTC)) for j in range(per_tick)
            ]
            async with sessionmaker() as session, session.begin():
                await stage_rows(session, [outbox_row(e, topic) for e in batch])
            now = time.time()
            for e in batch:
                committed[e.id] = now
            delay = t0 + ((n // per_tick) + 1) * tick - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)

        deadline = loop.time() + 60
        while loop.time() < deadline and sum(1 for i in committed if i in arrivals) < total:
            await asyncio.sleep(0.5)
        received = [(arrivals[i] - at) * 1000 for i, at in committed.items() if i in arrivals]
        async with risk_engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT payload, extract(epoch FROM sent_at) FROM outbox_events "
                        "WHERE sent_at IS NOT NULL AND event_type = 'gov.supervision.risk.warning.raised.v1'"
                    )
                )
            ).all()
        claimed = []
        for payload, sent_at in rows:
            trigger = orjson.loads(payload)["trigger_event_id"]
            if trigger in committed:
                claimed.append((float(sent_at) - committed[trigger]) * 1000)
        return received, claimed, total
    finally:
        proc.terminate()
        proc.wait(10)
        for task in (relay_task, watch_task):
            task.cancel()
        await asyncio.gather(relay_task, watch_task, return_exceptions=True)
        await prod_engine.dispose()
        await risk_engine.dispose()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else float("inf")


async def run(p: Profile) -> list[Figure]:
    scoring, baseline = await throughput(p)
    latencies, claimed, sent = await latency(p)
    lat99 = p99(latencies)
    return [
        Figure(
            "risk.scoring_throughput",
            round(scoring, 1),
            "events/s",
            round(baseline, 1),
            ">= 5000/s and >= 50% of features-only",
            check(scoring, ">=", 5000) and scoring / baseline >= 0.5,
            ratio(scoring, baseline),
            notes=(
                f"{THROUGHPUT_EVENTS} observations over {OBJECTS} objects, five champion models; "
                "baseline: the same consumer process maintaining features without scoring"
            ),
        ),
        Figure(
            "risk.event_to_warning_p99",
            round(lat99, 1),
            "ms",
            None,
            "< 250 ms at 1000 events/s",
            lat99 < 250 and len(latencies) >= 0.95 * sent,
            None,
            notes=(
                f"{len(latencies)} of {sent} events raised a warning at {LATENCY_RATE}/s; commit in a producing "
                f"outbox -> relay -> risk consumer -> warning outbox -> relay -> received by a subscriber of "
                f"the warnings topic (an upper bound of 'published'); median "
                f"{statistics.median(latencies) if latencies else float('nan'):.1f} ms; to the risk relay "
                f"claiming the warning row: p99 {p99(claimed):.1f} ms"
            ),
            extra={
                "p50_ms": round(statistics.median(latencies), 1) if latencies else -1.0,
                "max_ms": round(max(latencies), 1) if latencies else -1.0,
                "claimed_p99_ms": round(p99(claimed), 1),
            },
        ),
    ]
