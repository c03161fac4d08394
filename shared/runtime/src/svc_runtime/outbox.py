"""Transactional outbox: events are staged in the caller's transaction and relayed to Kafka later.

`stage()` only adds rows to the session, so an event exists exactly when the state change it
describes was committed. The relay claims unsent rows with `FOR UPDATE SKIP LOCKED` in insertion
order, sends them as one batch (acks=all), awaits every acknowledgement, and only then marks them
sent in the same transaction. Sent rows are kept for `outbox_retention_s` so they can be sent again
when the broker loses its state; consumers de-duplicate by event id.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

import asyncpg
import orjson
from sqlalchemy import BigInteger, DateTime, Identity, Index, LargeBinary, String, func, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from supervision_schemas import TOPICS, CloudEvent
from svc_runtime.cloudevents import to_kafka
from svc_runtime.db import RuntimeBase, driver_connection, utc_now
from svc_runtime.kafka import BrokerStateWatcher, create_producer
from svc_runtime.logging import request_id_var
from svc_runtime.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED, OUTBOX_REPUBLISHED
from svc_runtime.settings import ServiceSettings

_log = logging.getLogger("svc_runtime.outbox")
NOTIFY_CHANNEL = "outbox_events"


class OutboxEvent(RuntimeBase):
    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(249))
    key: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_outbox_events_unsent", "seq", postgresql_where=text("sent_at IS NULL")),
        Index("ix_outbox_events_sent_at", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
    )


def outbox_row(event: CloudEvent, topic: str | None = None) -> dict[str, Any]:
    """The outbox row of an event (on its type's topic unless `topic` is given, as benchmarks do)."""
    extra = {"x-request-id": rid} if (rid := request_id_var.get()) else None
    key, value, headers = to_kafka(event, extra_headers=extra)
    return {
        "event_id": event.id,
        "event_type": event.type,
        "topic": topic or event.topic,
        "key": key.decode(),
        "headers": {name: raw.decode() for name, raw in headers},
        "payload": value,
    }


async def stage(session: AsyncSession, *events: CloudEvent) -> None:
    """Stage events in the session's transaction; they are sent only if it commits."""
    await stage_many(session, events)


async def stage_many(session: AsyncSession, events: Iterable[CloudEvent]) -> None:
    await stage_rows(session, [outbox_row(e) for e in events])


_COPY_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "payload")
_COPY_THRESHOLD = 64


async def stage_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows in the session's transaction; large batches go through COPY."""
    if len(rows) < _COPY_THRESHOLD:
        if rows:
            await session.execute(insert(OutboxEvent), rows)
        return
    driver = await driver_connection(session)
    # SQLAlchemy's asyncpg codec for jsonb takes JSON text.
    records = [(*(r[c] for c in _COPY_COLUMNS[:4]), orjson.dumps(r["headers"]).decode(), r["payload"]) for r in rows]
    await driver.copy_records_to_table("outbox_events", records=records, columns=list(_COPY_COLUMNS))


_CLAIM = (
    "UPDATE outbox_events SET sent_at = now() WHERE seq IN ("
    "  SELECT seq FROM outbox_events WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
    ") RETURNING seq, topic, key, headers::text, payload"
)


def _asyncpg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxRelay:
    """Moves committed outbox rows to Kafka; safe across restarts of the service or the broker."""

    def __init__(self, settings: ServiceSettings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self._wakeup = asyncio.Event()
        self._claim_lock = asyncio.Lock()
        self._watcher = BrokerStateWatcher(
            settings,
            role="relay",
            marker=f"_state.relay.{settings.service_name}",
            topics=[t.name for t in TOPICS],
        )
        self._last_cleanup = 0.0
        self.stopped = asyncio.Event()

    async def run(self) -> None:
        """Relay until cancelled: maintenance plus `outbox_relay_lanes` concurrent batch lanes."""
        listener = await self._listen()
        producer = create_producer(self.settings)
        try:
            await self._start(producer)
            lanes = [self._lane(producer) for _ in range(self.settings.outbox_relay_lanes)]
            await asyncio.gather(self._maintain(), *lanes)
        finally:
            self.stopped.set()
            await producer.stop()
            if listener is not None:
                await listener.close()

    async def _maintain(self) -> None:
        """Detect a broker that lost its state (and re-send), and delete expired sent rows."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            try:
                if now - self._last_cleanup >= 60:
                    self._last_cleanup = now
                    await self.delete_expired()
                if await self._watcher.check():
                    await self.requeue_retained()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("outbox maintenance failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.settings.broker_check_interval_s)

    async def _lane(self, producer: Any) -> None:
        while True:
            # Cleared before claiming, so that a NOTIFY arriving during the batch wakes the next wait.
            self._wakeup.clear()
            try:
                sent = await self.relay_batch(producer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("relay batch failed; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(1.0)
                continue
            if sent < self.settings.outbox_batch_size:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self.settings.outbox_poll_interval_s)
                except TimeoutError:
                    pass

    async def _start(self, producer: Any) -> None:
        while True:
            try:
                await producer.start()
                await self._watcher.ensure()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("broker not reachable; relay waits", extra={"error": repr(exc)})
                await asyncio.sleep(1.0)

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(_asyncpg_dsn(self.settings.database_url))
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wakeup.set())
            return conn
        except Exception as exc:  # polling still works without NOTIFY
            _log.warning("LISTEN unavailable; polling only", extra={"error": repr(exc)})
            return None

    async def relay_batch(self, producer: Any) -> int:
        """Send one batch of unsent events; return how many were sent.

        The rows are claimed and marked sent by one statement, in a transaction that commits only after
        the broker acknowledged every message (acks=all); if sending fails it rolls back and the rows
        stay unsent. Other lanes skip the claimed rows meanwhile.
        """
        async with self.engine.begin() as conn:
            # Claiming and handing rows to the producer happen under one lock, so events reach each
            # partition in outbox order while another lane waits for its acknowledgements.
            async with self._claim_lock:
                # On the driver: thousands of rows through SQLAlchemy's result layer cost as much as the claim.
                driver = await driver_connection(conn)
                rows = sorted(await driver.fetch(_CLAIM, self.settings.outbox_batch_size), key=itemgetter(0))
                if not rows:
                    OUTBOX_PENDING.set(0)
                    return 0
                futures = []
                for _, topic, key, headers, payload in rows:
                    encoded = [(k, v.encode()) for k, v in orjson.loads(headers).items()]
                    futures.append(await producer.send(topic, value=payload, key=key.encode(), headers=encoded))
            # Only this lane's messages are awaited, not those another lane sent since.
            done, _ = await asyncio.wait(futures, timeout=30)
            if len(done) < len(futures):
                raise TimeoutError("broker did not acknowledge the batch within 30 s")
            for future in futures:
                if (error := future.exception()) is not None:
                    raise error
        for topic, count in Counter(r[1] for r in rows).items():
            OUTBOX_PUBLISHED.labels(topic).inc(count)
        return len(rows)

    async def requeue_retained(self) -> int:
        """Mark every retained sent event unsent again (the broker lost them)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(text("UPDATE outbox_events SET sent_at = NULL WHERE sent_at IS NOT NULL"))
        count = int(result.rowcount or 0)
        OUTBOX_REPUBLISHED.inc(count)
        _log.warning("re-sending retained outbox events", extra={"count": count})
        self._wakeup.set()
        return count

    async def delete_expired(self) -> None:
        cutoff = utc_now() - timedelta(seconds=self.settings.outbox_retention_s)
        async with self.engine.begin() as conn:
            await conn.execute(text("DELETE FROM outbox_events WHERE sent_at < :cutoff"), {"cutoff": cutoff})
