"""Consumer side of the backbone benchmark, in its own process as a consuming service would be.

`python -m bench.consumer_proc outbox DB_URL TOPIC GROUP BOOTSTRAP` runs the runtime's EventConsumer;
`python -m bench.consumer_proc raw TOPIC COUNT BOOTSTRAP` reads COUNT raw messages and prints the time.
"""

from __future__ import annotations

import asyncio
import sys
import time

from aiokafka import AIOKafkaConsumer

from datahub_svc.catalog.consumers import on_items_created
from svc_runtime.consumer import EventConsumer, Subscription
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.gctuning import tune_gc
from svc_runtime.settings import ServiceSettings


async def outbox(db_url: str, topic: str, group: str, bootstrap: str) -> None:
    settings = ServiceSettings(service_name="bench-consumer", database_url=db_url, kafka_bootstrap=bootstrap)
    engine = create_engine(db_url, pool_size=4)
    tune_gc(settings.gc_gen0_threshold)  # as the service's start-up does
    sub = Subscription(
        group=group, topics=(topic,), handlers={"gov.supervision.catalog.item.created.v1": on_items_created}
    )
    await EventConsumer(settings, create_sessionmaker(engine), sub).run()


async def raw(topic: str, count: int, bootstrap: str) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
        max_poll_records=1000,
    )
    await consumer.start()
    print("ready", flush=True)
    seen = 0
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=200, max_records=1000)
            for records in batches.values():
                seen += len(records)
            if batches:
                await consumer.commit()
        print(f"done {time.time()}", flush=True)
    finally:
        await consumer.stop()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "outbox":
        asyncio.run(outbox(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
    else:
        asyncio.run(raw(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
