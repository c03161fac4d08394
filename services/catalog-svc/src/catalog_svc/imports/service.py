"""Bulk import jobs: a list file is read and checked in Python chunk by chunk, then written set-based.

Each chunk is one transaction: its valid rows go through COPY into a temporary staging table, then
one `INSERT` (new items) and one `UPDATE` (changed items) into the catalog, with their versions,
legal bases, code allocations, events (outbox, by COPY), per-row errors and the change report (a line
per changed item, one row of arrays for the items a chunk added).
A row is all or nothing; a bad row never stops the others. Items are keyed by list and code
(`import_key`), and a row whose content equals the catalog's is left alone, so running the same
file again changes nothing.

Each job holds an advisory lock of its own while it runs; at start-up the service fails the jobs
that a stopped process left queued or running (`fail_interrupted`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import ARRAY, Select, String, and_, any_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from catalog_svc.coding import service as coding_service
from catalog_svc.coding.models import CodeTarget
from catalog_svc.imports import reading, sql
from catalog_svc.imports.files import FileFormat, Reader, UnreadableFile, detect_encoding
from catalog_svc.imports.models import ChangeType, ImportJob, ImportKind, JobStatus
from catalog_svc.imports.reading import CHUNK_ROWS, CheckedChunks, Chunk, required
from catalog_svc.imports.rows import (
    REQUIRED_MAPPING_COLUMNS,
    ItemRow,
    MappingRow,
    RowContext,
    RowError,
    mapping_field,
    parse_mapping,
)
from catalog_svc.items import service as item_service
from catalog_svc.items.models import (
    ChangeKind,
    ItemKind,
    ItemMapping,
    ItemSource,
    ItemStatus,
    MappingBasis,
    SupervisionItem,
)
from catalog_svc.laws.models import Law, LawArticle
from catalog_svc.validation.service import ValidationCache
from supervision_schemas.catalog import ItemAbolished, ItemAbolishedData, ItemAdjusted, ItemCreated, ItemPublished
from supervision_schemas.envelope import CloudEvent
from svc_runtime import outbox
from svc_runtime.db import driver_connection, utc_now
from svc_runtime.logging import request_id_var
from svc_runtime.outbox import OutboxEvent
from svc_runtime.problems import Problem
from svc_runtime.scope import DataScope, region_prefix

_log = logging.getLogger("catalog_svc.imports")
SOURCE = "/catalog-svc"
# One import at a time (a job holds this lock on a connection of its own from start to end).
_LOCK_KEY = "hashtext('catalog-import')"
# A chunk is re-runnable (the same file changes nothing the second time), so its commit need not wait
# for the WAL flush; a crash loses at most the last chunks, items and events together.
_ASYNC_COMMIT = "SET LOCAL synchronous_commit = off"
_JSON = orjson.OPT_UTC_Z
COMPARED = sql.COMPARED
# Lookups go straight to asyncpg: thousands of rows per chunk, no ORM result processing needed.
_ENUMS = ("kind", "item_type", "supervision_level")
# One lookup by code serves both: the list's own items (same import key) and codes taken elsewhere.
_BY_CODE = f"""
    SELECT id, code, import_key, source::text AS source, status::text AS status, version, published_at, created_at,
           {", ".join(f"{c}::text AS {c}" if c in _ENUMS else c for c in COMPARED)}
    FROM supervision_items WHERE code = ANY($1::varchar[])
"""
_ALLOCATED = "SELECT code, record_id FROM code_allocations WHERE code = ANY($1::varchar[])"
_CHANGE_COLUMNS = ["job_id", "change", "row_number", "code", "target_code", "item_id", "fields", "detail"]
_ERROR_COLUMNS = ["job_id", "row_number", "field", "reason"]
_BASIS_COLUMNS = ["item_id", "position", "law_id", "article_id", "law_title", "article"]


class ImportRefused(Problem):
    status = 422
    title = "Import refused"


def _any(column: Any, values: Sequence[str]) -> Any:
    """`column = ANY($1)` with one array parameter (not one parameter per value)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(String)))


def rfc3339(moment: datetime) -> str:
    """A UTC time as pydantic writes it in JSON (`...Z`, microseconds only when there are any)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def import_key(source: str, code: str) -> str:
    return f"{source}:{code}"


def list_condition(source: str, list_region: str) -> Any:
    """The items of one list: its source and, below the national level, its region subtree."""
    clause = and_(SupervisionItem.source == source, SupervisionItem.import_key.is_not(None))
    prefix = region_prefix(list_region)
    if prefix:
        clause = and_(clause, SupervisionItem.region_code.startswith(prefix, autoescape=True))
    return clause


def previous_job(kind: ImportKind, source: str, list_region: str) -> Select[Any]:
    return (
        select(ImportJob)
        .where(
            ImportJob.kind == kind,
            ImportJob.source == source,
            ImportJob.list_region == list_region,
            ImportJob.status == JobStatus.DONE,
        )
        .order_by(ImportJob.finished_at.desc())
        .limit(1)
    )


_TYPE_NAMES: dict[type[CloudEvent], tuple[str, str]] = {
    e: (e.model_fields["type"].default, e.model_fields["type"].default.rsplit(".", 2)[-2])
    for e in (ItemCreated, ItemPublished, ItemAdjusted)
}


# The outbox rows a chunk COPYs (the columns `outbox.stage_rows` fills; headers as JSON text).
OUTBOX_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "payload")


class EventRows:
    """Outbox rows of events built from values checked already (what `outbox.outbox_row` writes), for one chunk.

    An event id names the item, its version and the event type: unique, and the same if a chunk is retried.
    The headers are written as JSON text once per event, from parts that need no escaping (ids, type names,
    the time) and the request id, escaped once.
    """

    def __init__(self, time_text: str) -> None:
        request_id = request_id_var.get()
        tail = f',"x-request-id":{orjson.dumps(request_id).decode()}' if request_id else ""
        self._headers = {
            event_type: (
                f'","ce_source":"{SOURCE}","ce_type":"{type_name}","ce_specversion":"1.0","ce_time":"{time_text}"'
                ',"ce_subject":"',
                f'","content-type":"application/json"{tail}}}',
            )
            for event_type, (type_name, _) in _TYPE_NAMES.items()
        }

    def row(self, event_type: type[CloudEvent], subject: str, version: int, data: dict[str, Any]) -> tuple[Any, ...]:
        """The row in the order of `OUTBOX_COLUMNS`."""
        type_name, short = _TYPE_NAMES[event_type]
        event_id = f"{subject}:{version}:{short}"
        middle, end = self._headers[event_type]
        headers = f'{{"ce_id":"{event_id}{middle}{subject}{end}'
        return (event_id, type_name, event_type.topic, subject, headers, orjson.dumps(data, default=str))


def uuid4_strings(n: int) -> Iterator[str]:
    """n random (version 4) UUIDs as text, from one read of the system's random source."""
    raw = bytearray(os.urandom(16 * n))
    for offset in range(0, 16 * n, 16):
        raw[offset + 6] = (raw[offset + 6] & 0x0F) | 0x40
        raw[offset + 8] = (raw[offset + 8] & 0x3F) | 0x80
    text = raw.hex()
    for i in range(0, 32 * n, 32):
        yield f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-{text[i + 12 : i + 16]}-{text[i + 16 : i + 20]}-{text[i + 20 : i + 32]}"


def _stored(existing: Any, field: str) -> Any:
    """A stored value as the import compares it (ids of main items as text)."""
    value = existing[field]
    return str(value) if field == "parent_id" and value is not None else value


class Stopwatch:
    """Seconds spent per stage of a job, logged when it ends (where an import spends its time)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.totals[stage] = round(self.totals.get(stage, 0.0) + now - self._last, 3)
        self._last = now


@dataclass
class Prepared:
    """A resolved chunk: its counts, row errors, staging rows and events, ready to be written."""

    read: int
    counts: Counts
    errors: list[RowError]
    stage: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    now: datetime
    bases: list[tuple[Any, ...]]


@dataclass
class Parent:
    id: str
    name: str
    kind: ItemKind
    status: ItemStatus


@dataclass
class Counts:
    accepted: int = 0
    rejected: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0


def _mapping_chunks(reader: Reader, seen: dict[tuple[str, str], int]) -> Iterator[Chunk]:
    rows: list[MappingRow] = []
    errors: list[RowError] = []
    read = rejected = 0
    header_checked = False
    for record in reader:
        if not header_checked:
            required(reader, REQUIRED_MAPPING_COLUMNS)
            header_checked = True
        read += 1
        row = None
        if record.values is None:
            errors.extend(record.errors)
        else:
            row = parse_mapping(record.values, record.row, errors)
            if row is not None:
                first = seen.get((row.local_code, row.target_code))
                if first is not None:
                    errors.append((record.row, "target_code", f"same mapping as row {first}"))
                    row = None
                else:
                    seen[(row.local_code, row.target_code)] = record.row
        if row is None:
            rejected += 1
        else:
            rows.append(row)
        if read >= CHUNK_ROWS:
            yield Chunk(rows, errors, read, rejected)
            rows, errors, read, rejected = [], [], 0, 0
    if not header_checked:
        required(reader, REQUIRED_MAPPING_COLUMNS)
    if read:
        yield Chunk(rows, errors, read, rejected)


async def _copy(session: AsyncSession, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]) -> None:
    if not records:
        return
    driver = await driver_connection(session)
    await driver.copy_records_to_table(table, records=records, columns=list(columns))


def _check_write(scope: DataScope, region_code: str, department_id: uuid.UUID | None) -> str | None:
    try:
        scope.check_write(region_code=region_code, department_id=department_id)
    except Problem as exc:
        return str(exc.detail)
    return None


class ItemImport:
    """One run of an item list through the catalog."""

    def __init__(self, job: ImportJob, scope: DataScope) -> None:
        self.job = job
        self.scope = scope
        self.source = job.source
        self.national = job.source == ItemSource.NATIONAL.value
        self.seen: set[str] = set()
        self.refused: dict[str, int] = {}
        self.mains: dict[str, Parent] = {}
        self.deferred: list[ItemRow] = []
        self.laws: dict[str, uuid.UUID] = {}
        self.articles: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.watch = Stopwatch()
        self.accepted = 0  # rows accepted so far: each is an item of the list, in force
        self._bases_json: dict[str, str] = {}
        self._refs: dict[str, orjson.Fragment] = {}
        self._basis_rows: dict[str, list[tuple[Any, ...]]] = {}
        self._literals: dict[tuple[str, ...], str] = {}
        self._json_lists: dict[tuple[str, ...], str] = {}
        self.comment = f"imported from the {job.source} list (import job {job.id})"
        self.reason = f"adjusted by the {job.source} list import (job {job.id})"

    async def load(self, session: AsyncSession) -> RowContext:
        self.laws = {t: i for i, t in (await session.execute(select(Law.id, Law.title))).all()}
        self.articles = {
            (law, article): i
            for i, law, article in (
                await session.execute(select(LawArticle.id, LawArticle.law_id, LawArticle.article))
            ).all()
        }
        schemes = [coding_service.scheme_dict(s) for s in await coding_service.active_schemes(session, CodeTarget.ITEM)]
        return RowContext(
            national=self.national,
            list_prefix=region_prefix(self.job.list_region),
            default_department=self.job.department_id,
            schemes=schemes,
        )

    def _literal(self, values: list[str]) -> str:
        """`values` as an array literal; lists repeat through a file, so each distinct one is written once."""
        key = tuple(values)
        hit = self._literals.get(key)
        if hit is None:
            if len(self._literals) >= 50_000:
                self._literals.clear()
            hit = self._literals[key] = sql.array_literal(values)
        return hit

    def _json_list(self, values: list[str]) -> str:
        """`values` as a JSON array (text), written once per distinct list."""
        key = tuple(values)
        hit = self._json_lists.get(key)
        if hit is None:
            if len(self._json_lists) >= 50_000:
                self._json_lists.clear()
            hit = self._json_lists[key] = orjson.dumps(values).decode()
        return hit

    def _bases(self, legal_basis: str, bases: list[tuple[str, str | None]]) -> str:
        """The legal bases of a row as a version snapshot holds them (JSON); `self._refs` as events carry them."""
        hit = self._bases_json.get(legal_basis)
        if hit is None:
            snapshot, refs = [], []
            for title, article in bases:
                law_id = self.laws.get(title)
                article_id = self.articles.get((law_id, article)) if law_id and article else None
                snapshot.append(
                    {"law_id": law_id, "article_id": article_id, "law_title": title, "article": article, "clause": None}
                )
                refs.append({"law_title": title, "article": article, "law_id": law_id, "article_id": article_id})
            hit = orjson.dumps(snapshot, default=str).decode()
            self._bases_json[legal_basis] = hit
            self._refs[legal_basis] = orjson.Fragment(orjson.dumps(refs, default=str))
            self._basis_rows[legal_basis] = [
                (position, b["law_id"], b["article_id"], b["law_title"], b["article"])
                for position, b in enumerate(snapshot)
            ]
        return hit

    async def write(self, session: AsyncSession, chunk: Chunk, *, final: bool = False) -> Counts:
        """Resolve a chunk against the catalog and write what is new or changed (one transaction)."""
        return await self.persist(session, await self.prepare(session, chunk, final=final))

    async def prepare(self, session: AsyncSession, chunk: Chunk, *, final: bool = False) -> Prepared:
        """Resolve a chunk against the catalog: what is new, changed or refused, and the rows to write.

        Codes are unique within a file, so a chunk's lookups never depend on an earlier chunk still
        being written; main items met earlier in the file are known from `self.mains`.
        """
        watch = self.watch
        watch.start()
        self.refused.update(chunk.refused)
        now = utc_now()
        now_text = rfc3339(now)
        event_rows = EventRows(now.isoformat())
        new_ids = uuid4_strings(len(chunk.rows))
        rows: list[ItemRow] = chunk.rows
        errors = list(chunk.errors)
        counts = Counts(rejected=chunk.rejected)
        keys = [import_key(self.source, r.code) for r in rows]
        codes = list({r.code for r in rows} | {r.parent_code for r in rows if r.parent_code})
        driver = await driver_connection(session)
        by_code = {r["code"]: r for r in await driver.fetch(_BY_CODE, codes)}
        by_key = {r["import_key"]: r for r in by_code.values() if r["import_key"]}
        allocated = {r["code"]: r["record_id"] for r in await driver.fetch(_ALLOCATED, codes)}
        watch.lap("lookup")
        stage: list[tuple[Any, ...]] = []
        bases: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        # in the last pass, the rows still waiting for a main item: one may name another (a sub item) as its main
        waiting = {r.code: r for r in rows} if final else {}
        source, scope, mains, refused, literal = self.source, self.scope, self.mains, self.refused, self._literal
        json_list = self._json_list
        for row, key in zip(rows, keys, strict=True):
            found: list[RowError] = []
            existing = by_key.get(key)
            other = by_code.get(row.code)
            if other is not None and other["import_key"] != key:
                owner = f"the {other['source']} list" if other["import_key"] else "an item entered in the catalog"
                found.append((row.row, "code", f"code {row.code} already names {other['name']!r} ({owner})"))
            elif (holder := allocated.get(row.code)) is not None and (existing is None or holder != existing["id"]):
                found.append((row.row, "code", f"code {row.code} is allocated to another record and never reused"))
            if existing is not None and existing["status"] == ItemStatus.ABOLISHED:
                found.append((row.row, "code", f"item {row.code} was abolished; an abolished code is never reused"))
            parent_id = main_item_name = None
            if row.parent_code:
                parent = mains.get(row.parent_code)
                if parent is None and (p := by_code.get(row.parent_code)) is not None:
                    parent = Parent(str(p["id"]), p["name"], ItemKind(p["kind"]), ItemStatus(p["status"]))
                if parent is None:
                    if row.parent_code in refused:
                        found.append(
                            (
                                row.row,
                                "parent_code",
                                f"the main item {row.parent_code} (row {refused[row.parent_code]}) was refused",
                            )
                        )
                    elif not final:
                        self.deferred.append(row)
                        continue
                    elif (other_sub := waiting.get(row.parent_code)) is not None:
                        circle = " (the two rows name each other)" if other_sub.parent_code == row.code else ""
                        found.append(
                            (
                                row.row,
                                "parent_code",
                                f"{row.parent_code} (row {other_sub.row}) is a sub item itself (two levels only)"
                                + circle,
                            )
                        )
                    else:
                        found.append(
                            (row.row, "parent_code", f"no main item {row.parent_code} in the file or the catalog")
                        )
                elif parent.kind is ItemKind.SUB:
                    found.append((row.row, "parent_code", f"{row.parent_code} is a sub item itself (two levels only)"))
                elif parent.status is ItemStatus.ABOLISHED:
                    found.append((row.row, "parent_code", f"the main item {row.parent_code} is abolished"))
                else:
                    parent_id, main_item_name = parent.id, parent.name
            if existing is not None and existing["kind"] != row.kind:
                found.append(
                    (
                        row.row,
                        "parent_code",
                        "an item cannot turn from main item into sub item or back; abolish it and use a new code",
                    )
                )
            department_id = row.department_id if row.department_given or existing is None else existing["department_id"]
            if not scope.unrestricted and (denied := _check_write(scope, row.region_code, department_id)):
                found.append((row.row, "department_id" if "department" in denied else "region_code", denied))
            if found:
                errors.extend(found)
                counts.rejected += 1
                refused[row.code] = row.row
                continue
            counts.accepted += 1
            values = (
                row.kind,
                parent_id,
                row.name,
                main_item_name,
                row.item_type,
                row.supervision_level,
                row.implementing_department,
                row.guiding_department,
                department_id,
                row.agency_uscc,
                row.region_code,
                row.domain,
                row.supervision_methods,
                row.measures,
                row.object_types,
                row.process,
                row.result,
                row.legal_basis,
                row.random_check,
            )
            changed: list[str] | None = None
            changed_fields: list[str] = []
            detail = None
            if existing is None:
                item_id = next(new_ids)
                status, version, published_at, created_at = ItemStatus.PUBLISHED, 1, now, now
                created_text = published_text = now_text
                counts.added += 1
            else:
                item_id = str(existing["id"])
                changed = [f for f, v in zip(COMPARED, values, strict=True) if v != _stored(existing, f)]
                if not changed:
                    counts.unchanged += 1
                    if row.kind is ItemKind.MAIN:
                        mains[row.code] = Parent(item_id, row.name, row.kind, ItemStatus(existing["status"]))
                    continue
                status, version = ItemStatus.ADJUSTED, existing["version"] + 1
                published_at, created_at = existing["published_at"], existing["created_at"]
                created_text, published_text = rfc3339(created_at), rfc3339(published_at)
                after = dict(zip(COMPARED, values, strict=True))
                detail = orjson.dumps(
                    {"before": {f: existing[f] for f in changed}, "after": {f: after[f] for f in changed}},
                    option=_JSON,
                    default=str,
                ).decode()
                changed_fields = changed
                counts.changed += 1
            if row.kind is ItemKind.MAIN:
                mains[row.code] = Parent(item_id, row.name, row.kind, status)
            bases_json = self._bases(row.legal_basis, row.bases)
            if existing is None or "legal_basis" in changed_fields:
                bases.extend((item_id, *b) for b in self._basis_rows[row.legal_basis])
            subject = item_id
            published = {
                "item_id": subject,
                "code": row.code,
                "version": version,
                "kind": row.kind,
                "parent_id": parent_id,
                "parent_code": row.parent_code,
                "name": row.name,
                "item_type": row.item_type,
                "supervision_level": row.supervision_level,
                "implementing_department": row.implementing_department,
                "department_id": department_id,
                "region_code": row.region_code,
                "domain": row.domain,
                "object_types": row.object_types,
                "supervision_methods": row.supervision_methods,
                "random_check": row.random_check,
                "legal_bases": self._refs[row.legal_basis],
                "effective_from": now_text,
            }
            if existing is None:
                created = {
                    "item_id": subject,
                    "code": row.code,
                    "name": row.name,
                    "item_type": row.item_type,
                    "supervision_level": row.supervision_level,
                    "implementing_department": row.implementing_department,
                    "region_code": row.region_code,
                    "legal_basis": row.legal_basis,
                    "created_at": now_text,
                }
                events.append(event_rows.row(ItemCreated, subject, version, created))
                events.append(event_rows.row(ItemPublished, subject, version, published))
            else:
                published["changed_fields"] = changed
                published["reason"] = self.reason
                events.append(event_rows.row(ItemAdjusted, subject, version, published))
            stage.append(
                (
                    item_id,
                    *values[:12],
                    literal(row.supervision_methods),
                    literal(row.measures),
                    literal(row.object_types),
                    *values[15:],
                    row.code,
                    status,
                    version,
                    source,
                    key,
                    published_at,
                    created_at,
                    None if existing is None else now,
                    existing is None,
                    row.row,
                    row.parent_code,
                    row.prefix,
                    row.sequence,
                    row.scheme_id,
                    row.scheme_version,
                    literal(changed) if changed else None,
                    detail,
                    existing is None or "legal_basis" in changed_fields,
                    bases_json,
                    created_text,
                    published_text,
                    json_list(row.supervision_methods),
                    json_list(row.measures),
                    json_list(row.object_types),
                )
            )
        watch.lap("resolve")
        self.accepted += counts.accepted
        return Prepared(chunk.read, counts, errors, stage, events, now, bases)

    async def persist(self, session: AsyncSession, prepared: Prepared) -> Counts:
        """Write a resolved chunk in the session's transaction, set-based."""
        watch = Stopwatch()
        await session.execute(text(_ASYNC_COMMIT))
        driver = await driver_connection(session)
        stage, events, counts, now = prepared.stage, prepared.events, prepared.counts, prepared.now
        if stage:
            await driver.execute(sql.STAGE_DDL)
            await driver.copy_records_to_table("catalog_import_stage", records=stage, columns=list(sql.STAGE_COLUMNS))
            watch.lap("stage")
            if counts.added:
                await driver.execute(sql.INSERT_NEW)
            if counts.changed:
                await driver.execute(sql.UPDATE_CHANGED)
            watch.lap("upsert")
            await driver.execute(sql.ALLOCATE)
            watch.lap("allocate")
            if counts.changed:  # only then are there bases to drop and versions to close
                await driver.execute(sql.DROP_BASES)
            await driver.copy_records_to_table("item_legal_bases", records=prepared.bases, columns=_BASIS_COLUMNS)
            watch.lap("bases")
            if counts.changed:
                await driver.execute(sql.CLOSE_VERSIONS, now)
            await driver.execute(sql.VERSIONS, self.comment, self.reason, self.job.created_by, now)
            watch.lap("versions")
            await driver.copy_records_to_table(OutboxEvent.__tablename__, records=events, columns=list(OUTBOX_COLUMNS))
            watch.lap("events")
            if counts.changed:
                await driver.execute(sql.CHANGES, self.job.id)
            if counts.added:
                await driver.execute(sql.ADDED, self.job.id)
        await _write_errors(session, self.job.id, prepared.errors)
        await _count(session, self.job.id, prepared.read, counts)
        watch.lap("report")
        for stage_name, seconds in watch.totals.items():
            self.watch.totals[stage_name] = round(self.watch.totals.get(stage_name, 0.0) + seconds, 3)
        return counts

    async def remove_missing(self, session: AsyncSession) -> int:
        """Report the list's items that the file no longer has; abolish them if the job says so."""
        in_list = await session.scalar(
            select(func.count())
            .select_from(SupervisionItem)
            .where(list_condition(self.source, self.job.list_region), SupervisionItem.status != ItemStatus.ABOLISHED)
        )
        if (in_list or 0) <= self.accepted:  # every item of the list is a row this file had
            return 0
        rows = (
            await session.execute(
                select(SupervisionItem.id, SupervisionItem.code, SupervisionItem.kind, SupervisionItem.parent_id).where(
                    list_condition(self.source, self.job.list_region),
                    SupervisionItem.status != ItemStatus.ABOLISHED,
                )
            )
        ).all()
        missing = [r for r in rows if r.code not in self.seen]
        if not missing:
            return 0
        errors: list[RowError] = []
        removed_ids = {r.id for r in missing}
        if self.job.remove_missing:
            live_subs = {r.parent_id for r in rows if r.parent_id and r.id not in removed_ids}
            # sub items first, so that a main item whose sub items all went can follow them
            for r in sorted(missing, key=lambda m: m.kind is ItemKind.MAIN):
                if r.id in live_subs:
                    errors.append((0, "code", f"{r.code} is no longer in the list but has sub items in force"))
                    continue
                item = await session.scalar(
                    select(SupervisionItem)
                    .where(SupervisionItem.id == r.id)
                    .options(selectinload(SupervisionItem.legal_bases))
                    .with_for_update()
                )
                assert item is not None
                assert item.code is not None
                denied = _check_write(self.scope, item.region_code, item.department_id)
                if denied:
                    errors.append((0, "code", f"{item.code} not abolished: {denied}"))
                    continue
                item.status = ItemStatus.ABOLISHED
                item.version += 1
                item.abolished_at = utc_now()
                await coding_service.retire(session, item.code)
                await item_service.record_version(
                    session, item, ChangeKind.ABOLISHED, actor=self.job.created_by, comment=self.reason
                )
                await outbox.stage(
                    session,
                    ItemAbolished.build(
                        source=SOURCE,
                        subject=str(item.id),
                        data=ItemAbolishedData(
                            item_id=item.id,
                            code=item.code,
                            version=item.version,
                            reason=f"no longer in the {self.source} list (import job {self.job.id})",
                            abolished_at=item.abolished_at,
                        ),
                    ),
                )
        await _copy(
            session,
            "import_changes",
            _CHANGE_COLUMNS,
            [
                (
                    self.job.id,
                    ChangeType.REMOVED.value,
                    None,
                    r.code,
                    None,
                    r.id,
                    [],
                    orjson.dumps({"abolished": self.job.remove_missing}).decode(),
                )
                for r in missing
            ],
        )
        await _write_errors(session, self.job.id, errors)
        await session.execute(update(ImportJob).where(ImportJob.id == self.job.id).values(removed=len(missing)))
        return len(missing)


class MappingImport:
    """One run of a national-to-local mapping table (映射关系梳理表)."""

    def __init__(self, job: ImportJob, scope: DataScope) -> None:
        self.job = job
        self.scope = scope
        self.seen: dict[tuple[str, str], int] = {}
        self.graph: dict[uuid.UUID, set[uuid.UUID]] = {}

    async def load(self, session: AsyncSession) -> None:
        for local, target in (
            await session.execute(select(ItemMapping.local_item_id, ItemMapping.target_item_id))
        ).all():
            self.graph.setdefault(local, set()).add(target)

    def _reaches(self, start: uuid.UUID, goal: uuid.UUID) -> bool:
        frontier, visited = [start], {start}
        while frontier:
            node = frontier.pop()
            if node == goal:
                return True
            for nxt in self.graph.get(node, ()):
                if nxt not in visited:
                    visited.add(nxt)
                    frontier.append(nxt)
        return False

    async def write(self, session: AsyncSession, chunk: Chunk) -> Counts:
        rows: list[MappingRow] = chunk.rows
        errors = list(chunk.errors)
        counts = Counts(rejected=chunk.rejected)
        codes = list({r.local_code for r in rows} | {r.target_code for r in rows})
        items = {
            r.code: r
            for r in (
                await session.execute(
                    select(
                        SupervisionItem.id,
                        SupervisionItem.code,
                        SupervisionItem.status,
                        SupervisionItem.region_code,
                        SupervisionItem.department_id,
                    ).where(_any(SupervisionItem.code, codes))
                )
            ).all()
        }
        prefix = region_prefix(self.job.list_region)
        inserts: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        for row in rows:
            found: list[RowError] = []
            local, target = items.get(row.local_code), items.get(row.target_code)
            for name, code, item in (("local_code", row.local_code, local), ("target_code", row.target_code, target)):
                if item is None:
                    found.append((row.row, name, f"no item with code {code} in the catalog"))
                elif item.status is ItemStatus.ABOLISHED:
                    found.append((row.row, name, f"item {code} is abolished"))
            if local is not None and not local.region_code.startswith(prefix):
                found.append((row.row, "local_code", f"item {row.local_code} lies outside the table's region"))
            elif local is not None and (denied := _check_write(self.scope, local.region_code, local.department_id)):
                found.append((row.row, "local_code", denied))
            if found or local is None or target is None:
                errors.extend(found)
                counts.rejected += 1
                continue
            if target.id in self.graph.get(local.id, ()):
                counts.accepted += 1
                counts.unchanged += 1
                continue
            if self._reaches(target.id, local.id):
                errors.append((row.row, "target_code", "the mapping would make a cycle (the target maps back)"))
                counts.rejected += 1
                continue
            self.graph.setdefault(local.id, set()).add(target.id)
            counts.accepted += 1
            counts.added += 1
            inserts.append((uuid.uuid4(), local.id, target.id, MappingBasis.IMPORTED.value, utc_now()))
            changes.append(
                (self.job.id, ChangeType.ADDED.value, row.row, row.local_code, row.target_code, local.id, [], None)
            )
        await _copy(session, "item_mappings", ["id", "local_item_id", "target_item_id", "basis", "created_at"], inserts)
        await _copy(session, "import_changes", _CHANGE_COLUMNS, changes)
        await _write_errors(session, self.job.id, errors)
        await _count(session, self.job.id, chunk.read, counts)
        return counts

    async def remove_missing(self, session: AsyncSession) -> int:
        """Imported mappings of the table's region that the file no longer has: reported, deleted if asked."""
        local = SupervisionItem.__table__.alias("local_item")
        target = SupervisionItem.__table__.alias("target_item")
        prefix = region_prefix(self.job.list_region)
        statement = (
            select(ItemMapping.id, ItemMapping.local_item_id, local.c.code, target.c.code)
            .join(local, local.c.id == ItemMapping.local_item_id)
            .join(target, target.c.id == ItemMapping.target_item_id)
            .where(ItemMapping.basis == MappingBasis.IMPORTED)
        )
        if prefix:
            statement = statement.where(local.c.region_code.startswith(prefix, autoescape=True))
        rows = [r for r in (await session.execute(statement)).all() if (r[2], r[3]) not in self.seen]
        if not rows:
            return 0
        if self.job.remove_missing:
            await session.execute(text("DELETE FROM item_mappings WHERE id = ANY(:ids)"), {"ids": [r[0] for r in rows]})
        await _copy(
            session,
            "import_changes",
            _CHANGE_COLUMNS,
            [
                (
                    self.job.id,
                    ChangeType.REMOVED.value,
                    None,
                    r[2],
                    r[3],
                    r[1],
                    [],
                    orjson.dumps({"deleted": self.job.remove_missing}).decode(),
                )
                for r in rows
            ],
        )
        await session.execute(update(ImportJob).where(ImportJob.id == self.job.id).values(removed=len(rows)))
        return len(rows)


async def _write_errors(session: AsyncSession, job_id: uuid.UUID, errors: list[RowError]) -> None:
    await _copy(session, "import_row_errors", _ERROR_COLUMNS, [(job_id, r, f[:100], m[:2000]) for r, f, m in errors])


async def _count(session: AsyncSession, job_id: uuid.UUID, read: int, counts: Counts) -> None:
    await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            rows_read=ImportJob.rows_read + read,
            rows_accepted=ImportJob.rows_accepted + counts.accepted,
            rows_rejected=ImportJob.rows_rejected + counts.rejected,
            added=ImportJob.added + counts.added,
            changed=ImportJob.changed + counts.changed,
            unchanged=ImportJob.unchanged + counts.unchanged,
        )
    )


async def _chunked(
    sessionmaker: async_sessionmaker[AsyncSession], chunks: Iterator[Chunk], write: Any, reader: Reader, job_id: Any
) -> int:
    """Write chunks as the worker thread checks the next one; returns how many rows changed the catalog."""
    touched = 0
    pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
    while (chunk := await pending) is not None:
        pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
        async with sessionmaker() as session, session.begin():
            counts = await write(session, chunk)
            await session.execute(
                update(ImportJob).where(ImportJob.id == job_id).values(ignored_columns=reader.ignored_columns)
            )
        touched += counts.added + counts.changed
    return touched


IN_FLIGHT = 2


async def _pipelined(sessionmaker: async_sessionmaker[AsyncSession], chunks: CheckedChunks, items: ItemImport) -> int:
    """Check (a process of its own), resolve (event loop) and write (PostgreSQL) chunks at the same time.

    Up to `IN_FLIGHT` chunks are written at once, each in its own transaction on its own connection,
    so the database works on one chunk while the next is checked and resolved.
    """
    touched = 0
    writing: set[asyncio.Task[Counts]] = set()

    async def persist(prepared: Prepared) -> Counts:
        async with sessionmaker() as session, session.begin():
            counts = await items.persist(session, prepared)
            await session.execute(
                update(ImportJob).where(ImportJob.id == items.job.id).values(ignored_columns=chunks.ignored_columns)
            )
        return counts

    try:
        async for chunk in chunks:
            async with sessionmaker() as session:
                prepared = await items.prepare(session, chunk)
            while len(writing) >= IN_FLIGHT:
                done, _ = await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    writing.discard(task)
                    counts = task.result()
                    touched += counts.added + counts.changed
            writing.add(asyncio.create_task(persist(prepared)))
        for counts in await asyncio.gather(*writing):
            touched += counts.added + counts.changed
        writing.clear()
    finally:
        for task in writing:
            task.cancel()
        await asyncio.gather(*writing, return_exceptions=True)
    return touched


_relaxed_gc = 0


@contextlib.contextmanager
def _relaxed_garbage_collection() -> Iterator[None]:
    """Collect cycles far less often while a job runs: it keeps hundreds of thousands of small objects alive
    (rows, known main items), and every full collection walks them all, for garbage it hardly makes."""
    global _relaxed_gc
    saved = gc.get_threshold()
    if _relaxed_gc == 0:
        gc.set_threshold(100_000, 20, 20)
    _relaxed_gc += 1
    try:
        yield
    finally:
        _relaxed_gc -= 1
        if _relaxed_gc == 0:
            gc.set_threshold(*saved)


# Each job holds a lock of its own from the moment its task starts until its outcome is written; a queued or
# running job whose lock nobody holds was left behind by a process that stopped (crash, kill, restart).
_JOB_KEY = "hashtextextended('catalog-import-job:' || CAST(:job AS text), 0)"
ORPHAN_GRACE = timedelta(seconds=60)
"""A queued job is only taken for orphaned after this long: its task takes the job's lock a moment after upload."""


def interrupted_message(status: JobStatus) -> str:
    if status is JobStatus.QUEUED:
        return "interrupted: the service stopped before this job started; nothing was imported. Upload the file again"
    return (
        "interrupted: the service stopped while this job was running; the chunks written before it stopped are "
        "kept. Upload the file again: rows already imported are left as they are, the others are imported"
    )


async def _job_guard(sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> Any:
    """A connection of its own holding the job's lock (and, later, the import lock: imports run one at a time)."""
    engine = sessionmaker.kw["bind"]
    connection = await engine.connect()
    await connection.execution_options(isolation_level="AUTOCOMMIT")
    await connection.execute(text(f"SELECT pg_advisory_lock({_JOB_KEY})"), {"job": str(job_id)})
    return connection


async def orphaned(session: AsyncSession, job_id: uuid.UUID) -> bool:
    """True when no process works on the job; the transaction then holds the job's lock until it ends."""
    return bool(await session.scalar(text(f"SELECT pg_try_advisory_xact_lock({_JOB_KEY})"), {"job": str(job_id)}))


async def _fail_orphans(session: AsyncSession, jobs: Sequence[tuple[uuid.UUID, JobStatus, str]]) -> list[uuid.UUID]:
    failed = []
    for job_id, status, file_format in jobs:
        if not await orphaned(session, job_id):
            continue
        await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(status=JobStatus.FAILED, error=interrupted_message(status), finished_at=utc_now())
        )
        (spool_dir() / f"{job_id}.{file_format}").unlink(missing_ok=True)
        failed.append(job_id)
    return failed


async def fail_interrupted(sessionmaker: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
    """Mark the jobs a stopped process left queued or running as failed, saying so (run at start-up)."""
    async with sessionmaker() as session, session.begin():
        jobs = (
            await session.execute(
                select(ImportJob.id, ImportJob.status, ImportJob.format).where(
                    or_(
                        ImportJob.status == JobStatus.RUNNING,
                        and_(ImportJob.status == JobStatus.QUEUED, ImportJob.created_at < utc_now() - ORPHAN_GRACE),
                    )
                )
            )
        ).all()
        failed = await _fail_orphans(session, [(j.id, j.status, j.format) for j in jobs])
    if failed:
        _log.warning("import jobs interrupted by a stop marked failed", extra={"job_ids": [str(j) for j in failed]})
    return failed


async def _import(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: ImportJob,
    path: Path,
    encoding: str | None,
    scope: DataScope,
    checker: asyncio.subprocess.Process | None,
) -> int:
    """Read, check and write the whole file; returns how many items it added, changed or abolished."""
    touched = 0
    if job.kind is ImportKind.ITEMS:
        items = ItemImport(job, scope)
        async with sessionmaker() as session:
            ctx = await items.load(session)
        checked = CheckedChunks(path, FileFormat(job.format), encoding or "utf-8", ctx, checker)
        touched += await _pipelined(sessionmaker, checked, items)
        items.seen = checked.seen
        while items.deferred:
            rows, items.deferred = items.deferred, []
            async with sessionmaker() as session, session.begin():
                counts = await items.write(session, Chunk(rows, [], 0, 0), final=True)
            touched += counts.added + counts.changed
        items.watch.start()
        async with sessionmaker() as session, session.begin():
            touched += await items.remove_missing(session)
        items.watch.lap("remove_missing")
        _log.info("import job timings", extra={"job_id": str(job.id), "seconds": items.watch.totals})
    else:
        reader = Reader(path, FileFormat(job.format), encoding or "utf-8", mapping_field)
        mappings = MappingImport(job, scope)
        async with sessionmaker() as session:
            await mappings.load(session)
        chunks = _mapping_chunks(reader, mappings.seen)
        await _chunked(sessionmaker, chunks, mappings.write, reader, job.id)
        async with sessionmaker() as session, session.begin():
            await mappings.remove_missing(session)
    return touched


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    path: Path,
    scope: DataScope,
    cache: ValidationCache | None,
) -> None:
    """Import a spooled file; the job row records progress after every chunk and the outcome at the end."""
    final, error = JobStatus.FAILED, None
    checker = None
    guard = await _job_guard(sessionmaker, job_id)
    try:
        try:
            job = None
            for _ in range(100):  # the row is committed with the upload request, which may still be finishing
                async with sessionmaker() as session:
                    job = await session.get(ImportJob, job_id)
                if job is not None:
                    break
                await asyncio.sleep(0.05)
            if job is None or job.status is not JobStatus.QUEUED:
                return
            if job.kind is ImportKind.ITEMS and reading.wants_process(path):
                checker = await reading.start_checker()
            encoding = await asyncio.to_thread(detect_encoding, path) if job.format != FileFormat.XLSX else None
            async with sessionmaker() as session, session.begin():
                previous = await session.scalar(previous_job(job.kind, job.source, job.list_region))
                await session.execute(
                    update(ImportJob)
                    .where(ImportJob.id == job_id)
                    .values(
                        status=JobStatus.RUNNING,
                        encoding=encoding,
                        started_at=utc_now(),
                        previous_job_id=previous.id if previous else None,
                    )
                )
            touched = 0
            await guard.execute(text(f"SELECT pg_advisory_lock({_LOCK_KEY})"))
            with _relaxed_garbage_collection():
                touched = await _import(sessionmaker, job, path, encoding, scope, checker)
            if touched and cache is not None:
                await cache.bump()
            final = JobStatus.DONE
        except UnreadableFile as exc:
            error = str(exc)
        except Exception as exc:
            _log.exception("import job failed", extra={"job_id": str(job_id)})
            error = (
                f"the import stopped ({type(exc).__name__}); the chunks written before are kept: run the file again "
                "(rows already imported are left as they are)"
            )
        finally:
            if checker is not None:
                await reading.stop_checker(checker)
            path.unlink(missing_ok=True)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(ImportJob).where(ImportJob.id == job_id).values(status=final, error=error, finished_at=utc_now())
            )
    finally:
        # the outcome is written before the locks go: nobody ever sees a running job without its lock
        with contextlib.suppress(Exception):
            await guard.execute(text("SELECT pg_advisory_unlock_all()"))
        await guard.close()


def readable_jobs(scope: DataScope) -> Any:
    return or_(
        ImportJob.created_by == scope.principal.subject,
        scope.condition(region=ImportJob.region_code, department=ImportJob.department_id),
    )


async def running_twin(session: AsyncSession, job: ImportJob) -> ImportJob | None:
    """A queued or running job of the same file for the same list (an upload sent twice).

    A twin left behind by a process that stopped is marked failed instead, so the file can be imported again.
    """
    twin = await session.scalar(
        select(ImportJob)
        .where(
            ImportJob.kind == job.kind,
            ImportJob.source == job.source,
            ImportJob.list_region == job.list_region,
            ImportJob.file_sha256 == job.file_sha256,
            ImportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            ImportJob.id != job.id,
        )
        .limit(1)
    )
    if twin is None:
        return None
    if twin.status is JobStatus.QUEUED and twin.created_at > utc_now() - ORPHAN_GRACE:
        return twin
    if await _fail_orphans(session, [(twin.id, twin.status, twin.format)]):
        await session.refresh(twin)
        return None
    return twin


def spool_dir() -> Path:
    """Where uploaded files wait for their job (`CATALOG_SPOOL_DIR`, else a folder in the temporary directory)."""
    return Path(os.environ.get("CATALOG_SPOOL_DIR") or Path(tempfile.gettempdir()) / "catalog-spool")
