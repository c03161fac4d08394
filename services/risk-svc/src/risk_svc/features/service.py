"""Feature state: adding signals to day buckets, reading windows, and rebuilding by replay."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, KafkaTimeoutError
from redis.commands.core import AsyncScript
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from risk_svc.features.definitions import FEATURE_NAMES, FEATURES, MAX_FEATURES, WINDOWED_FEATURES
from risk_svc.features.models import FeatureRebuild, RebuildStatus
from risk_svc.features.signals import Signal
from risk_svc.warnings.service import OpenWarning
from supervision_schemas.signals import ComplaintHotspotChanged, ComplaintHotspotData, HotspotChange, HotspotDimension
from svc_runtime.consumer import EventConsumer, Subscription
from svc_runtime.db import utc_now
from svc_runtime.kafka import create_consumer, create_producer
from svc_runtime.settings import ServiceSettings

_log = logging.getLogger("risk_svc.features")

_ADD_BUCKETS = text(
    """
    INSERT INTO risk_feature_buckets (object_key, feature, day, value)
    SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:features AS text[]), CAST(:days AS date[]),
                         CAST(:vals AS double precision[]))
    ON CONFLICT (object_key, feature, day) DO UPDATE SET value = CASE
        WHEN risk_feature_buckets.feature = ANY(CAST(:max_features AS text[]))
        THEN greatest(risk_feature_buckets.value, excluded.value)
        ELSE risk_feature_buckets.value + excluded.value END
    """
)

_WINDOW_NAMES = list(WINDOWED_FEATURES)
_WINDOW_DAYS = [FEATURES[n].window_days for n in WINDOWED_FEATURES]


async def add_signals(session: AsyncSession, signals: Sequence[Signal]) -> dict[str, Any]:
    """Add the signals' contributions to their buckets (one statement); refresh and return the object profiles."""
    merged: dict[tuple[str, str, date], float] = {}
    for s in signals:
        for feature, value in s.contributions:
            k = (s.key, feature, s.day)
            old = merged.get(k)
            if old is None:
                merged[k] = value
            else:
                merged[k] = max(old, value) if feature in MAX_FEATURES else old + value
    if merged:
        keys, features, days = zip(*merged, strict=True)
        await session.execute(
            _ADD_BUCKETS,
            {
                "keys": list(keys),
                "features": list(features),
                "days": list(days),
                "vals": list(merged.values()),
                "max_features": list(MAX_FEATURES),
            },
        )
    return await upsert_profiles(session, signals)


_UPSERT_PROFILES = text(
    """
    INSERT INTO risk_objects AS t (object_key, uscc, object_id, name, region_code, industry_code, department_id,
                                   department_name, last_event_at)
    SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:usccs AS text[]), CAST(:object_ids AS text[]),
                         CAST(:names AS text[]), CAST(:regions AS text[]), CAST(:industries AS text[]),
                         CAST(:departments AS uuid[]), CAST(:department_names AS text[]),
                         CAST(:ats AS timestamptz[]))
    ON CONFLICT (object_key) DO UPDATE SET
        uscc = coalesce(excluded.uscc, t.uscc),
        object_id = coalesce(excluded.object_id, t.object_id),
        name = CASE WHEN excluded.last_event_at >= t.last_event_at THEN excluded.name ELSE t.name END,
        region_code = CASE WHEN excluded.last_event_at >= t.last_event_at THEN excluded.region_code
                           ELSE t.region_code END,
        industry_code = CASE WHEN excluded.last_event_at >= t.last_event_at
                             THEN coalesce(excluded.industry_code, t.industry_code)
                             ELSE coalesce(t.industry_code, excluded.industry_code) END,
        department_id = CASE WHEN excluded.last_event_at >= t.last_event_at
                             THEN coalesce(excluded.department_id, t.department_id)
                             ELSE coalesce(t.department_id, excluded.department_id) END,
        department_name = CASE WHEN excluded.last_event_at >= t.last_event_at
                               THEN coalesce(excluded.department_name, t.department_name)
                               ELSE coalesce(t.department_name, excluded.department_name) END,
        last_event_at = greatest(t.last_event_at, excluded.last_event_at)
    RETURNING t.object_key, t.uscc, t.object_id, t.name, t.region_code, t.industry_code, t.department_id,
              t.department_name, (t.xmax = 0) AS inserted
    """
)


async def upsert_profiles(session: AsyncSession, signals: Sequence[Signal]) -> dict[str, Any]:
    """Keep the latest (by event time) identity of each object, older fields filling gaps; return the profiles."""
    latest: dict[str, Signal] = {}
    for s in signals:
        if (cur := latest.get(s.key)) is None or cur.at <= s.at:
            latest[s.key] = s
    if not latest:
        return {}
    rows = list(latest.values())
    result = await session.execute(
        _UPSERT_PROFILES,
        {
            "keys": [s.key for s in rows],
            "usccs": [s.uscc for s in rows],
            "object_ids": [s.object_id for s in rows],
            "names": [s.name for s in rows],
            "regions": [s.region_code for s in rows],
            "industries": [s.industry_code for s in rows],
            "departments": [s.department_id for s in rows],
            "department_names": [s.department_name for s in rows],
            "ats": [s.at for s in rows],
        },
    )
    return {r.object_key: r for r in result.all()}


# What scoring reads about the objects of `profiles` (a CTE the statement defines first): windowed features,
# open warnings, and the complaint hot spots they are in (their own; their industry's and region's by prefix,
# a region key's trailing 00 pairs dropped: 440300 covers 4403xx).
_READ_STATE = """
    windows AS (
        SELECT w.object_key, json_object_agg(w.feature, w.val) AS vals FROM (
            SELECT b.object_key, b.feature,
                   CASE WHEN b.feature = ANY(CAST(:max_features AS text[])) THEN max(b.value) ELSE sum(b.value) END AS val
            FROM risk_feature_buckets b
            JOIN unnest(CAST(:fnames AS text[]), CAST(:windows AS int[])) AS f(name, window_days)
                 ON f.name = b.feature
            WHERE b.object_key = ANY(CAST(:keys AS text[]))
              AND b.day > CAST(:today AS date) - f.window_days AND b.day <= CAST(:today AS date) + 1
            GROUP BY b.object_key, b.feature) w
        GROUP BY w.object_key
    ),
    open_warnings AS (
        SELECT object_key, json_agg(json_build_object(
            'id', id, 'model_key', model_key, 'level', level, 'score', score, 'event_ids', evidence -> 'event_ids',
            'raised_at', raised_at, 'update_count', update_count)) AS open
        FROM risk_warnings WHERE status = 'open' AND object_key = ANY(CAST(:keys AS text[]))
        GROUP BY object_key
    )
    SELECT p.*, w.vals AS windows, o.open AS open_warnings,
           own.level AS hotspot_level, own.count AS hotspot_count, coalesce(own.growth, own.count) AS hotspot_growth,
           (SELECT max(h.level) FROM risk_hotspots h
             WHERE h.dimension = 'industry' AND h.level > 0 AND p.industry_code LIKE h.key || '%') AS industry_hotspot,
           (SELECT max(h.level) FROM risk_hotspots h
             WHERE h.dimension = 'region' AND h.level > 0
               AND p.region_code LIKE regexp_replace(h.key, '(00)+$', '') || '%') AS region_hotspot
    FROM profiles p LEFT JOIN windows w USING (object_key) LEFT JOIN open_warnings o USING (object_key)
    LEFT JOIN risk_hotspots own ON own.dimension = 'object' AND own.key = p.object_key AND own.level > 0
"""

_ADD_AND_READ = text(
    """
    WITH buckets AS (
        INSERT INTO risk_feature_buckets (object_key, feature, day, value)
        SELECT * FROM unnest(CAST(:bkeys AS text[]), CAST(:features AS text[]), CAST(:days AS date[]),
                             CAST(:vals AS double precision[]))
        ON CONFLICT (object_key, feature, day) DO UPDATE SET value = CASE
            WHEN risk_feature_buckets.feature = ANY(CAST(:max_features AS text[]))
            THEN greatest(risk_feature_buckets.value, excluded.value)
            ELSE risk_feature_buckets.value + excluded.value END
    ),
    profiles AS ("""
    + _UPSERT_PROFILES.text.strip()
    + """
    ),"""
    + _READ_STATE
)

_READ_KNOWN = text(
    """
    WITH profiles AS (
        SELECT object_key, uscc, object_id, name, region_code, industry_code, department_id, department_name
        FROM risk_objects WHERE object_key = ANY(CAST(:keys AS text[]))
    ),"""
    + _READ_STATE
)


@dataclass
class BatchState:
    """After a batch was added: each object's profile, feature vector and open warnings (one round trip)."""

    objects: dict[str, Any]
    vectors: dict[str, dict[str, float]]
    open_warnings: dict[tuple[str, str], OpenWarning]


def _merged_buckets(signals: Sequence[Signal]) -> dict[tuple[str, str, date], float]:
    merged: dict[tuple[str, str, date], float] = {}
    for s in signals:
        for feature, value in s.contributions:
            k = (s.key, feature, s.day)
            old = merged.get(k)
            if old is None:
                merged[k] = value
            else:
                merged[k] = max(old, value) if feature in MAX_FEATURES else old + value
    return merged


async def add_and_read(session: AsyncSession, signals: Sequence[Signal], as_of: date | None = None) -> BatchState:
    """Add the batch to the buckets and profiles and read back what scoring needs, in one statement.

    The statement's reads see the buckets as they were before it, so the batch's own contributions are
    added here, with the same window and aggregate rules.
    """
    day = as_of or today()
    merged = _merged_buckets(signals)
    latest: dict[str, Signal] = {}
    for s in signals:
        if (cur := latest.get(s.key)) is None or cur.at <= s.at:
            latest[s.key] = s
    rows = list(latest.values())
    keys = list(latest)
    result = await session.execute(
        _ADD_AND_READ,
        {
            "bkeys": [k[0] for k in merged],
            "features": [k[1] for k in merged],
            "days": [k[2] for k in merged],
            "vals": list(merged.values()),
            "max_features": list(MAX_FEATURES),
            "keys": keys,
            "usccs": [s.uscc for s in rows],
            "object_ids": [s.object_id for s in rows],
            "names": [s.name for s in rows],
            "regions": [s.region_code for s in rows],
            "industries": [s.industry_code for s in rows],
            "departments": [s.department_id for s in rows],
            "department_names": [s.department_name for s in rows],
            "ats": [s.at for s in rows],
            "windows": _WINDOW_DAYS,
            "fnames": _WINDOW_NAMES,
            "today": day,
        },
    )
    state = _state(result.all())
    for (key, feature, bucket_day), value in merged.items():
        spec = FEATURES[feature]
        if not (day - timedelta(days=spec.window_days) < bucket_day <= day + timedelta(days=1)):
            continue
        vector = state.vectors[key]
        vector[feature] = max(vector[feature], value) if feature in MAX_FEATURES else vector[feature] + value
    return state


def _state(rows: Sequence[Any]) -> BatchState:
    state = BatchState(objects={}, vectors={}, open_warnings={})
    for r in rows:
        state.objects[r.object_key] = r
        vector = dict.fromkeys(FEATURE_NAMES, 0.0)
        for feature, value in (r.windows or {}).items():
            vector[feature] = float(value)
        if r.hotspot_level:
            vector["complaint_hotspot_level"] = float(r.hotspot_level)
            vector["complaint_hotspot_count"] = float(r.hotspot_count)
            vector["complaint_hotspot_growth"] = float(r.hotspot_growth)
        vector["industry_hotspot_level"] = float(r.industry_hotspot or 0)
        vector["region_hotspot_level"] = float(r.region_hotspot or 0)
        state.vectors[r.object_key] = vector
        for w in r.open_warnings or ():
            state.open_warnings[(r.object_key, w["model_key"])] = OpenWarning.from_json(w)
    return state


async def read_known(session: AsyncSession, keys: Sequence[str], as_of: date | None = None) -> BatchState:
    """What scoring needs of objects already known (no new events): profiles, features, open warnings."""
    if not keys:
        return BatchState(objects={}, vectors={}, open_warnings={})
    result = await session.execute(
        _READ_KNOWN,
        {
            "keys": list(keys),
            "max_features": list(MAX_FEATURES),
            "windows": _WINDOW_DAYS,
            "fnames": _WINDOW_NAMES,
            "today": as_of or today(),
        },
    )
    return _state(result.all())


def today() -> date:
    return datetime.now(UTC).date()


async def window_values(
    session: AsyncSession, keys: Sequence[str], as_of: date | None = None
) -> dict[str, dict[str, float]]:
    """Every feature's value for each object, hot-spot states included (0 where it has nothing)."""
    out: dict[str, dict[str, float]] = {k: dict.fromkeys(FEATURE_NAMES, 0.0) for k in keys}
    out.update((await read_known(session, keys, as_of)).vectors)
    return out


_HOTSPOT_LEVEL = {HotspotChange.DETECTED: 1, HotspotChange.GROWN: 2, HotspotChange.COOLED: 0}

_UPSERT_HOTSPOTS = text(
    """
    INSERT INTO risk_hotspots AS t (dimension, key, hotspot_id, change, level, count, previous_count, growth, reports,
                                    label, region_code, industry_code, window_days, changed_at, event_id)
    SELECT * FROM unnest(CAST(:dimensions AS text[]), CAST(:keys AS text[]), CAST(:ids AS uuid[]),
                         CAST(:changes AS text[]), CAST(:levels AS int[]), CAST(:counts AS int[]),
                         CAST(:previous AS int[]), CAST(:growths AS double precision[]), CAST(:reports AS int[]),
                         CAST(:labels AS text[]), CAST(:regions AS text[]), CAST(:industries AS text[]),
                         CAST(:windows AS int[]), CAST(:ats AS timestamptz[]), CAST(:event_ids AS text[]))
    ON CONFLICT (dimension, key) DO UPDATE SET
        hotspot_id = excluded.hotspot_id, change = excluded.change, level = excluded.level, count = excluded.count,
        previous_count = excluded.previous_count, growth = excluded.growth, reports = excluded.reports,
        label = excluded.label, region_code = excluded.region_code, industry_code = excluded.industry_code,
        window_days = excluded.window_days, changed_at = excluded.changed_at, event_id = excluded.event_id
    WHERE excluded.changed_at >= t.changed_at
    RETURNING t.dimension, t.key
    """
)
_GROUP_MEMBERS_LIMIT = 5000
_GROUP_MEMBERS = text(
    """
    SELECT DISTINCT object_key FROM risk_warnings
    WHERE status = 'open' AND (
        industry_code LIKE ANY (SELECT k || '%' FROM unnest(CAST(:industries AS text[])) AS k)
        OR region_code LIKE ANY (SELECT regexp_replace(k, '(00)+$', '') || '%'
                                 FROM unnest(CAST(:regions AS text[])) AS k))
    LIMIT :limit
    """
)


def hotspot_key(data: ComplaintHotspotData) -> str:
    """An object hot spot is kept under the object's key (as its features are); a group under its own key."""
    if data.dimension is HotspotDimension.OBJECT and data.object is not None:
        return data.object.key
    return data.key


async def record_hotspots(session: AsyncSession, events: Sequence[ComplaintHotspotChanged]) -> list[str]:
    """Keep each hot spot's latest state (older changes, late or repeated, change nothing).

    Return the objects whose features changed: the object of an object hot spot, and for an industry or
    region hot spot the objects of that group with an open warning (at most 5,000), whose level may change.
    Other members of the group see the change when their next event is scored.
    """
    latest: dict[tuple[str, str], ComplaintHotspotChanged] = {}
    for e in events:
        k = (e.data.dimension.value, hotspot_key(e.data))
        if (cur := latest.get(k)) is None or cur.data.changed_at <= e.data.changed_at:
            latest[k] = e
    if not latest:
        return []
    rows = list(latest.values())
    changed = await session.execute(
        _UPSERT_HOTSPOTS,
        {
            "dimensions": [e.data.dimension.value for e in rows],
            "keys": [hotspot_key(e.data) for e in rows],
            "ids": [e.data.hotspot_id for e in rows],
            "changes": [e.data.change.value for e in rows],
            "levels": [_HOTSPOT_LEVEL[e.data.change] for e in rows],
            "counts": [e.data.count for e in rows],
            "previous": [e.data.previous_count for e in rows],
            "growths": [e.data.growth for e in rows],
            "reports": [e.data.reports for e in rows],
            "labels": [e.data.label for e in rows],
            "regions": [e.data.region_code for e in rows],
            "industries": [e.data.industry_code for e in rows],
            "windows": [e.data.window_days for e in rows],
            "ats": [e.data.changed_at for e in rows],
            "event_ids": [e.id for e in rows],
        },
    )
    touched = changed.all()
    objects = [k for d, k in touched if d == HotspotDimension.OBJECT.value]
    industries = [k for d, k in touched if d == HotspotDimension.INDUSTRY.value]
    regions = [k for d, k in touched if d == HotspotDimension.REGION.value]
    if industries or regions:
        members = await session.scalars(
            _GROUP_MEMBERS, {"industries": industries, "regions": regions, "limit": _GROUP_MEMBERS_LIMIT}
        )
        objects.extend(k for k in members.all() if k not in objects)
    return objects


_PUT_SCRIPT = """
for i, key in ipairs(KEYS) do
    redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1])
end
return #KEYS
"""


class HotState:
    """Current feature vectors per object in Redis, written after each scored batch; PostgreSQL is the truth."""

    ttl_s = 24 * 3600

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        database = settings.database_url.rsplit("/", 1)[-1]
        self.prefix = f"risk:{database}:features:"
        self._redis: aioredis.Redis | None = None
        self._put: AsyncScript | None = None

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            self._redis = aioredis.Redis(
                connection_pool=aioredis.BlockingConnectionPool.from_url(
                    self.settings.redis_url, max_connections=10, timeout=2, socket_timeout=2
                )
            )
        return self._redis

    async def put(self, vectors: dict[str, dict[str, float]]) -> None:
        """Write the vectors in one command (a script setting each key with its TTL): one request, one reply."""
        if not vectors:
            return
        as_of = today().isoformat()
        keys = [self.prefix + key for key in vectors]
        values = [orjson.dumps({"as_of": as_of, **vector}) for vector in vectors.values()]
        try:
            if self._put is None:
                self._put = self.redis.register_script(_PUT_SCRIPT)
            await asyncio.wait_for(self._put(keys=keys, args=[self.ttl_s, *values]), timeout=2)
        except Exception as exc:  # the cache is an accelerator; PostgreSQL stays authoritative
            _log.warning("hot feature cache not written", extra={"error": repr(exc)})

    async def get(self, key: str) -> dict[str, float] | None:
        try:
            raw = await asyncio.wait_for(self.redis.get(self.prefix + key), timeout=1)
        except Exception:
            return None
        if raw is None:
            return None
        data: dict[str, Any] = orjson.loads(raw)
        if data.pop("as_of", None) != today().isoformat():
            return None  # windows slid since it was written
        return {k: float(v) for k, v in data.items()}

    async def clear(self) -> int:
        removed = 0
        try:
            async for name in self.redis.scan_iter(match=self.prefix + "*", count=1000):
                removed += int(await self.redis.delete(name))
        except Exception as exc:
            _log.warning("hot feature cache not cleared", extra={"error": repr(exc)})
        return removed

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


async def get_features(session: AsyncSession, hot: HotState, key: str) -> tuple[dict[str, float], str]:
    """(feature values, where they came from: `cache` or `database`)."""
    cached = await hot.get(key)
    if cached is not None:
        return cached, "cache"
    return (await window_values(session, [key]))[key], "database"


async def reset_feature_state(session: AsyncSession, group: str) -> None:
    """Empty the feature tables and forget which events fed them, so a replay applies everything again.

    The exclusive lock waits for a live batch that already touched the features and holds back the
    next one until this commits, so every event is counted exactly once: by the replay or live.
    """
    await session.execute(text("LOCK TABLE risk_feature_buckets, risk_objects, risk_hotspots IN ACCESS EXCLUSIVE MODE"))
    await session.execute(text("DELETE FROM processed_events WHERE consumer_group = :g"), {"g": group})
    await session.execute(text("TRUNCATE risk_feature_buckets, risk_objects, risk_hotspots"))


class ReplayError(Exception):
    """The replay could not read the topics (the broker kept failing or stopped making progress)."""


_RETRY_ATTEMPTS = 8
_RETRY_FIRST_DELAY_S = 0.5
_RETRY_MAX_DELAY_S = 10.0
_CALL_TIMEOUT_S = 30.0
_APPLY_TIMEOUT_S = 300.0
_STALL_TIMEOUT_S = 180.0
_PROGRESS_EVERY_S = 2.0

T = TypeVar("T")


def _retriable(exc: BaseException) -> bool:
    if isinstance(exc, KafkaTimeoutError | TimeoutError | OSError):
        return True
    return isinstance(exc, KafkaError) and bool(exc.retriable)


async def with_retries(
    what: str,
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = _RETRY_ATTEMPTS,
    first_delay_s: float = _RETRY_FIRST_DELAY_S,
    timeout_s: float = _CALL_TIMEOUT_S,
) -> T:
    """Await `call()`, retrying timeouts and retriable broker errors with exponential backoff.

    A loaded broker answers metadata and offset requests slowly; each attempt is bounded, and only
    after `attempts` failures does the replay give up, with what failed in the error.
    """
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return await asyncio.wait_for(call(), timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not _retriable(exc):
                raise ReplayError(f"{what} failed: {exc!r}") from exc
            if attempt == attempts:
                raise ReplayError(f"{what} failed after {attempts} attempts: {exc!r}") from exc
            _log.warning(
                "replay: broker call failed; retrying", extra={"call": what, "attempt": attempt, "error": repr(exc)}
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MAX_DELAY_S)
    raise AssertionError("unreachable")


async def topic_partitions(settings: ServiceSettings, topics: Sequence[str]) -> list[TopicPartition]:
    """The partitions the broker has for these topics (its own count, whatever the catalogue says)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=20_000)
    await with_retries("admin client start", admin.start)
    try:
        described = await with_retries("describe topics", lambda: admin.describe_topics(list(topics)))
    finally:
        await admin.close()
    out: list[TopicPartition] = []
    for topic in described:
        if topic.get("error_code", 0) != 0:
            continue  # never created: nothing to replay
        out.extend(TopicPartition(topic["topic"], p["partition"]) for p in topic.get("partitions", ()))
    return sorted(out)


Progress = Callable[[int], Awaitable[None]]


async def replay(
    settings: ServiceSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    subscription: Subscription,
    *,
    batch: int = 2000,
    progress: Progress | None = None,
) -> int:
    """Read the subscription's topics from the beginning to their current end through its handlers.

    Broker calls are retried with backoff; the replay fails (with the reason) only when the broker keeps
    failing or no partition moves for `_STALL_TIMEOUT_S`.
    """
    partitions = await topic_partitions(settings, subscription.topics)
    if not partitions:
        return 0
    # No group: the replay assigns partitions and seeks itself, so it needs no coordinator.
    consumer = create_consumer(settings, f"{subscription.group}.replay", (), group_id=None, request_timeout_ms=20_000)
    producer = create_producer(settings, request_timeout_ms=60_000)  # dead letters of the replay
    applier = EventConsumer(settings, sessionmaker, subscription)
    loop = asyncio.get_running_loop()
    read = 0
    try:
        await with_retries("consumer start", consumer.start)
        await with_retries("producer start", producer.start)
        consumer.assign(partitions)
        begin = await with_retries("beginning_offsets", lambda: consumer.beginning_offsets(partitions))
        end = await with_retries("end_offsets", lambda: consumer.end_offsets(partitions))
        for tp in partitions:
            consumer.seek(tp, begin[tp])
        remaining = {tp for tp in partitions if end[tp] > begin[tp]}
        last_move = last_report = loop.time()
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=500, max_records=batch)
            records: list[ConsumerRecord[bytes, bytes]] = []
            for tp, recs in fetched.items():
                records.extend(r for r in recs if r.offset < end[tp])
            if records:
                # Applying is idempotent (processed event ids), so a batch whose dead letters timed out
                # on a slow broker is simply applied again.
                await with_retries(
                    "apply batch", partial(applier.process, records, producer), timeout_s=_APPLY_TIMEOUT_S
                )
                read += len(records)
                last_move = loop.time()
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            now = loop.time()
            if remaining and now - last_move > _STALL_TIMEOUT_S:
                stuck = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(remaining))
                raise ReplayError(f"replay made no progress for {_STALL_TIMEOUT_S:.0f} s on {stuck} ({read} read)")
            if progress is not None and now - last_report >= _PROGRESS_EVERY_S:
                last_report = now
                await progress(read)
    finally:
        await consumer.stop()
        await producer.stop()
    return read


async def rebuild(
    settings: ServiceSettings,
    sessionmaker: async_sessionmaker[AsyncSession],
    subscription: Subscription,
    hot: HotState,
    rebuild_id: Any,
) -> None:
    """Reset the feature state and replay every signal topic; record the outcome on the rebuild row."""

    async def record(**values: Any) -> None:
        async with sessionmaker() as session, session.begin():
            await session.execute(update(FeatureRebuild).where(FeatureRebuild.id == rebuild_id).values(**values))

    try:
        async with sessionmaker() as session, session.begin():
            await reset_feature_state(session, subscription.group)
        await hot.clear()
        read = await replay(settings, sessionmaker, subscription, progress=lambda n: record(records_read=n))
        values: dict[str, Any] = {"status": RebuildStatus.DONE, "records_read": read}
    except ReplayError as exc:
        _log.warning("feature rebuild failed", extra={"error": str(exc)})
        values = {"status": RebuildStatus.FAILED, "error": str(exc)[:2000]}
    except Exception as exc:
        _log.exception("feature rebuild failed")
        values = {"status": RebuildStatus.FAILED, "error": repr(exc)[:2000]}
    await record(finished_at=utc_now(), **values)


async def running_rebuild(session: AsyncSession) -> FeatureRebuild | None:
    return await session.scalar(
        select(FeatureRebuild)
        .where(FeatureRebuild.status == RebuildStatus.RUNNING)
        .where(FeatureRebuild.started_at > utc_now() - timedelta(hours=1))
    )
