"""risk-svc's signal consumer in its own process, as the service runs it (for `bench.risk`).

`python -m bench.risk_proc DB_URL TOPIC GROUP BOOTSTRAP MODE EXPECTED` runs the runtime's EventConsumer
with risk-svc's handlers (MODE `scoring`: features and all champion models; `features`: features only)
and the outbox relay of its database; it prints `ready`, then `done <events/s>` once EXPECTED events were
applied, timed from the first batch to the commit of the last.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from risk_svc.scoring.consumers import SignalProcessor
from svc_runtime.consumer import EventConsumer
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.gctuning import tune_gc
from svc_runtime.outbox import OutboxRelay
from svc_runtime.settings import ServiceSettings


class TimedConsumer(EventConsumer):
    expected = 0
    started: float | None = None
    seen = 0
    reported = False

    def parse(self, records: Sequence[Any]) -> list[Any]:
        if self.started is None:
            self.started = time.perf_counter()
        return super().parse(records)

    async def apply_parsed(self, parsed: Sequence[Any], producer: Any) -> None:
        await super().apply_parsed(parsed, producer)
        self.seen += len(parsed)
        if not self.reported and self.expected and self.seen >= self.expected:
            self.reported = True
            print(f"done {self.seen / (time.perf_counter() - self.started):.1f}", flush=True)


async def main(db_url: str, topic: str, group: str, bootstrap: str, mode: str, expected: int) -> None:
    # The service's own configuration (relay woken by NOTIFY, 0.5 s poll as a fallback), not a tuned one.
    settings = ServiceSettings(service_name="bench-risk", database_url=db_url, kafka_bootstrap=bootstrap)
    engine = create_engine(db_url, pool_size=4)
    processor = SignalProcessor(settings, scoring=mode == "scoring", topics=(topic,), group=group)
    consumer = TimedConsumer(settings, create_sessionmaker(engine), processor.subscription())
    consumer.expected = expected
    relay = OutboxRelay(settings, engine)
    tune_gc(settings.gc_gen0_threshold)  # as the service's start-up does
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
    await consumer.ready.wait()
    print("ready", flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])))
