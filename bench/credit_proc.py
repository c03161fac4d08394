"""credit-svc's input consumer in its own process, as the service runs it (for `bench.credit`).

`python -m bench.credit_proc DB_URL TOPIC GROUP BOOTSTRAP` runs the runtime's EventConsumer with credit-svc's
handlers on TOPIC and the outbox relay of its database; it prints `ready` once the consumer has started.
"""

from __future__ import annotations

import asyncio
import sys

from credit_svc.models import load_all_models
from credit_svc.objects.consumers import InputConsumer
from credit_svc.settings import CreditSettings
from svc_runtime.consumer import EventConsumer
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.outbox import OutboxRelay


async def main(db_url: str, topic: str, group: str, bootstrap: str) -> None:
    load_all_models()
    settings = CreditSettings(
        service_name="bench-credit", database_url=db_url, kafka_bootstrap=bootstrap, outbox_poll_interval_s=0.05
    )
    engine = create_engine(db_url, pool_size=4)
    consumer = EventConsumer(
        settings, create_sessionmaker(engine), InputConsumer(settings, group=group, topics=(topic,)).subscription()
    )
    relay = OutboxRelay(settings, engine)
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
    await consumer.ready.wait()
    print("ready", flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]))
