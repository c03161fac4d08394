"""Kafka plumbing: explicit topic creation, client factories, and detection of a broker that lost its state.

The development broker (tansu) keeps everything in memory: after a restart topics, records and
committed offsets are gone. Topics are therefore created explicitly with their partition counts, and
each relay or consumer keeps a marker topic of its own; a missing marker means the broker lost its
state, so relays re-send retained outbox events and consumers read their topics again from the start
(consumers de-duplicate).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from supervision_schemas import TOPICS, TopicSpec
from svc_runtime.metrics import BROKER_RESETS
from svc_runtime.settings import ServiceSettings

_log = logging.getLogger("svc_runtime.kafka")


def dead_letter_topic(group: str) -> str:
    return f"dlq.{group}"


def key_partitioner(key_bytes: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """Partition by CRC32 of the key (C speed; aiokafka's murmur2 is pure Python and costs ~14 us a message).

    Every platform topic is written only through outbox relays, which all use this function, so
    events of one aggregate always land in one partition and stay in order.
    """
    if key_bytes is None:
        return available[0] if available else all_partitions[0]
    return all_partitions[zlib.crc32(key_bytes) % len(all_partitions)]


def create_producer(settings: ServiceSettings, **overrides: object) -> AIOKafkaProducer:
    options: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": settings.service_name,
        "acks": "all",
        "enable_idempotence": settings.kafka_enable_idempotence,
        "linger_ms": 0,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 10_000,
        "retry_backoff_ms": 200,
        "partitioner": key_partitioner,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def create_consumer(
    settings: ServiceSettings, group: str, topics: Iterable[str], **overrides: object
) -> AIOKafkaConsumer:
    options: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": f"{settings.service_name}.{group}",
        "group_id": group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 6_000,
        "heartbeat_interval_ms": 500,
        "fetch_max_wait_ms": 20,
        "max_poll_records": 1000,
        "request_timeout_ms": 10_000,
        "retry_backoff_ms": 200,
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


def topic_specs(names: Iterable[str]) -> list[TopicSpec]:
    by_name = {t.name: t for t in TOPICS}
    return [by_name.get(n) or TopicSpec(n, partitions=1, description="") for n in names]


async def ensure_topics(settings: ServiceSettings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create any of the topics that are missing; return the names that had to be created."""
    return await create_missing_topics(settings.kafka_bootstrap, specs, replication=settings.kafka_topic_replication)


async def create_missing_topics(bootstrap: str, specs: Iterable[TopicSpec], *, replication: int = 1) -> list[str]:
    """Create the topics the broker does not have yet, with their registered partition counts.

    Topics must exist before any client touches them: the broker auto-creates an unknown topic on
    first use with its own default partition count, which then disagrees with the registry.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [s for s in specs if s.name not in existing]
        created = []
        for spec in wanted:
            try:
                await admin.create_topics(
                    [NewTopic(spec.name, num_partitions=spec.partitions, replication_factor=replication)]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()


class BrokerStateWatcher:
    """Detects that the broker lost its state, by a marker topic only this component creates."""

    def __init__(self, settings: ServiceSettings, *, role: str, marker: str, topics: Iterable[str]) -> None:
        self.settings = settings
        self.role = role
        self.marker = marker
        self.specs = topic_specs(topics)

    async def ensure(self) -> bool:
        """Create missing topics and the marker; True when the marker had to be created anew."""
        created = await ensure_topics(self.settings, [*self.specs, TopicSpec(self.marker, 1, "state marker")])
        return self.marker in created

    async def check(self) -> bool:
        """True when the broker was found to have lost its state since the last check."""
        try:
            lost = await asyncio.wait_for(self.ensure(), timeout=15)
        except (KafkaError, TimeoutError, OSError) as exc:
            _log.warning("broker not reachable", extra={"role": self.role, "error": repr(exc)})
            return False
        if lost:
            BROKER_RESETS.labels(self.role).inc()
            _log.warning("broker lost its state; recovering", extra={"role": self.role, "marker": self.marker})
        return lost


async def broker_ready(settings: ServiceSettings, timeout: float = 2.0) -> bool:
    """Whether the broker answers a metadata request."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
        return True
    except Exception:
        return False
    finally:
        try:
            await admin.close()
        except Exception:
            pass
