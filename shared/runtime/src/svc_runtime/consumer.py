"""Event consumers: idempotent handling, retries with backoff, and a dead-letter topic.

A batch of messages is applied in one transaction that also records every event id in
`processed_events` (`ON CONFLICT DO NOTHING`), so an event already applied is skipped and an
effect is never applied twice. Kafka offsets are committed only after the transaction commits.
If the batch fails, each message is retried alone with backoff; one that still fails, or that is
not a valid event at all, goes to the dead-letter topic and the consumer carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import DateTime, String, func, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from supervision_schemas import CloudEvent
from svc_runtime.cloudevents import MalformedEvent, from_kafka, header_map
from svc_runtime.db import RuntimeBase
from svc_runtime.kafka import BrokerStateWatcher, create_consumer, create_producer, dead_letter_topic
from svc_runtime.logging import request_id_var
from svc_runtime.metrics import EVENTS_CONSUMED
from svc_runtime.settings import ServiceSettings

_log = logging.getLogger("svc_runtime.consumer")

# A handler gets the session and a run of consecutive new events of one type (in partition order),
# so that it can apply them with one statement; it must not commit.
Handler = Callable[[AsyncSession, Sequence[Any]], Awaitable[None]]


class ProcessedEvent(RuntimeBase):
    __tablename__ = "processed_events"

    consumer_group: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


@dataclass(frozen=True)
class Subscription:
    """What one consumer group of a service listens to: topics and a handler per event type."""

    group: str
    topics: tuple[str, ...]
    handlers: dict[str, Handler]


@dataclass
class _Parsed:
    record: ConsumerRecord[bytes, bytes]
    event: CloudEvent | None
    error: str | None


class EventConsumer:
    """Runs one Subscription against Kafka until cancelled."""

    def __init__(
        self, settings: ServiceSettings, sessionmaker: async_sessionmaker[AsyncSession], subscription: Subscription
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.sub = subscription
        self.dlq_topic = dead_letter_topic(subscription.group)
        self._watcher = BrokerStateWatcher(
            settings,
            role="consumer",
            marker=f"_state.consumer.{subscription.group}",
            topics=[*subscription.topics, self.dlq_topic],
        )
        self.ready = asyncio.Event()

    async def run(self) -> None:
        consumer = create_consumer(self.settings, self.sub.group, self.sub.topics)
        producer = create_producer(self.settings)
        await self._start(consumer, producer)
        loop = asyncio.get_running_loop()
        last_check = loop.time()
        applier = _Applier(self, consumer, producer)
        check: asyncio.Task[bool] | None = None
        self.ready.set()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=2000)
                if batches:
                    # Parsed here, while the applier has earlier batches in the database.
                    parsed = self.parse([r for records in batches.values() for r in records])
                    # Offsets fixed now (the next fetch moves the positions).
                    offsets = {tp: records[-1].offset + 1 for tp, records in batches.items() if records}
                    await applier.put(parsed, offsets)
                else:
                    applier.raise_if_failed()
                if check is None and loop.time() - last_check >= self.settings.broker_check_interval_s:
                    check = asyncio.create_task(self._watcher.check())
                if check is not None and check.done():
                    last_check = loop.time()
                    lost = check.exception() is None and check.result()
                    check = None
                    if lost:
                        # The broker lost topics and offsets: read everything again; duplicates are skipped.
                        await applier.drain()
                        assigned = consumer.assignment()
                        if assigned:
                            await consumer.seek_to_beginning(*assigned)
        finally:
            if check is not None and not check.done():
                check.cancel()
            await applier.close()
            await consumer.stop()
            await producer.stop()

    async def _start(self, consumer: AIOKafkaConsumer, producer: Any) -> None:
        while True:
            try:
                await self._watcher.ensure()
                await producer.start()
                await consumer.start()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning(
                    "broker not reachable; consumer waits", extra={"group": self.sub.group, "error": repr(exc)}
                )
                await asyncio.sleep(1.0)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await asyncio.wait_for(consumer.commit(offsets), timeout=5)
        except Exception as exc:  # re-delivery is harmless: handling is idempotent
            _log.warning("offset commit failed", extra={"group": self.sub.group, "error": repr(exc)})

    async def process(self, records: Sequence[ConsumerRecord[bytes, bytes]], producer: Any) -> None:
        """Apply a batch of records (in partition order) in one transaction; used by replays."""
        await self.apply_parsed(self.parse(records), producer)

    def parse(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[_Parsed]:
        return [self._parse(r) for r in records]

    async def apply_parsed(self, parsed: Sequence[_Parsed], producer: Any) -> None:
        """Dead-letter the malformed records and apply the others in one transaction (one by one if it fails)."""
        for p in parsed:
            if p.event is None:
                await self._dead_letter(producer, p.record, p.error or "malformed")
        valid = [p for p in parsed if p.event is not None]
        if not valid:
            return
        try:
            await self._apply(valid)
        except Exception as exc:
            _log.info("batch failed; applying one by one", extra={"group": self.sub.group, "error": repr(exc)})
            for p in valid:
                await self._apply_one_with_retries(p, producer)

    def _parse(self, record: ConsumerRecord[bytes, bytes]) -> _Parsed:
        try:
            return _Parsed(record, from_kafka(record.value, record.headers), None)
        except MalformedEvent as exc:
            return _Parsed(record, None, str(exc))

    async def _apply(self, items: Sequence[_Parsed]) -> None:
        async with self.sessionmaker() as session, session.begin():
            ids = [p.event.id for p in items if p.event is not None]
            result = await session.execute(
                text(
                    "INSERT INTO processed_events (consumer_group, event_id) "
                    "SELECT :g, unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING RETURNING event_id"
                ),
                {"g": self.sub.group, "ids": ids},
            )
            fresh = set(result.scalars().all())
            duplicates = len(ids) - len(fresh)
            applied = 0
            run: list[CloudEvent] = []
            for p in items:
                event = p.event
                assert event is not None
                if event.id not in fresh:
                    continue
                fresh.discard(event.id)  # the same id twice in one batch is applied once
                if event.type not in self.sub.handlers:
                    continue
                if run and run[0].type != event.type:
                    await self._handle(session, run, p)
                    applied += len(run)
                    run = []
                run.append(event)
            if run:
                await self._handle(session, run, items[-1])
                applied += len(run)
        EVENTS_CONSUMED.labels(self.sub.group, "applied").inc(applied)
        EVENTS_CONSUMED.labels(self.sub.group, "duplicate").inc(duplicates)

    async def _handle(self, session: AsyncSession, run: list[CloudEvent], last: _Parsed) -> None:
        token = request_id_var.set(header_map(last.record.headers).get("x-request-id") or run[-1].id)
        try:
            await self.sub.handlers[run[0].type](session, run)
        finally:
            request_id_var.reset(token)

    async def _apply_one_with_retries(self, item: _Parsed, producer: Any) -> None:
        attempts = self.settings.consumer_max_retries
        error: Exception | None = None
        for attempt in range(attempts):
            try:
                await self._apply([item])
                return
            except Exception as exc:
                error = exc
                EVENTS_CONSUMED.labels(self.sub.group, "retried").inc()
                await asyncio.sleep(self.settings.consumer_retry_backoff_s * (2**attempt))
        await self._dead_letter(producer, item.record, f"handler failed after {attempts} attempts: {error!r}")

    async def _dead_letter(self, producer: Any, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        headers = list(record.headers or ()) + [
            ("dlq_reason", reason[:1000].encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_group", self.sub.group.encode()),
        ]
        await producer.send_and_wait(self.dlq_topic, value=record.value, key=record.key, headers=headers)
        EVENTS_CONSUMED.labels(self.sub.group, "dead_lettered").inc()
        _log.warning(
            "event sent to dead-letter topic",
            extra={"group": self.sub.group, "topic": record.topic, "offset": record.offset, "reason": reason[:300]},
        )


class _Applier:
    """Applies fetched batches in fetch order, one transaction at a time, beside the fetch loop.

    Whatever was fetched while a transaction ran is applied together in the next one (up to
    `MAX_RECORDS`), so under load a record waits for at most one transaction before its own, and
    transactions grow with the load instead of queueing up. Offsets are committed after each
    transaction, in order, off the apply path. The fetch loop waits when `MAX_QUEUED` records are queued.
    """

    MAX_RECORDS = 5000
    MAX_QUEUED = 10_000

    def __init__(self, owner: EventConsumer, consumer: AIOKafkaConsumer, producer: Any) -> None:
        self._owner = owner
        self._consumer = consumer
        self._producer = producer
        self._queue: deque[tuple[list[_Parsed], dict[TopicPartition, int]]] = deque()
        self._queued = 0
        self._work = asyncio.Event()
        self._room = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._commit: asyncio.Task[None] | None = None
        self._task = asyncio.create_task(self._run(), name=f"apply-{owner.sub.group}")

    async def put(self, parsed: list[_Parsed], offsets: dict[TopicPartition, int]) -> None:
        while self._queued >= self.MAX_QUEUED:
            self._room.clear()
            await self._until(self._room)
        self.raise_if_failed()
        self._queue.append((parsed, offsets))
        self._queued += len(parsed)
        self._idle.clear()
        self._work.set()

    async def drain(self) -> None:
        """Return once everything queued is applied."""
        await self._until(self._idle)

    def raise_if_failed(self) -> None:
        if self._task.done():
            self._task.result()  # raises the applier's error
            raise RuntimeError("event applier stopped")

    async def close(self) -> None:
        for task in (self._task, self._commit):
            if task is not None and not task.done():
                task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _until(self, event: asyncio.Event) -> None:
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        self.raise_if_failed()

    async def _run(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            while self._queue:
                parsed: list[_Parsed] = []
                offsets: dict[TopicPartition, int] = {}
                while self._queue and (not parsed or len(parsed) + len(self._queue[0][0]) <= self.MAX_RECORDS):
                    batch, batch_offsets = self._queue.popleft()
                    parsed.extend(batch)
                    offsets.update(batch_offsets)  # later fetches hold later offsets
                self._queued -= len(parsed)
                self._room.set()
                await self._owner.apply_parsed(parsed, self._producer)
                if self._commit is not None:
                    await self._commit
                self._commit = asyncio.create_task(self._owner._commit(self._consumer, offsets))
            self._idle.set()
