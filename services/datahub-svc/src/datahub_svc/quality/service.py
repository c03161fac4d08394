"""Running quality rules set-based, feeding errors back (QualityErrorRaised/Resolved) and scoring departments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.bulk import SQL_NOW_RFC3339, outbox_select
from datahub_svc.objects.prepare import RowError
from datahub_svc.quality.models import QualityError
from datahub_svc.quality.rules import (
    LIBRARIES,
    RULES_BY_ID,
    TIMELINESS,
    QualityConfig,
    Rule,
    rejected_row_rule,
    rules_of,
)
from supervision_schemas.datahub import DATAHUB_QUALITY_TOPIC, QualityDimension
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict
from svc_runtime.scope import DataScope

DEFAULT_CONFIG = QualityConfig()
_configured: list[QualityConfig] = [DEFAULT_CONFIG]


def configure(config: QualityConfig) -> None:
    """The deadlines this deployment uses (set from the settings when the app is created)."""
    _configured[0] = config


def current_config() -> QualityConfig:
    return _configured[0]


RAISED = "gov.supervision.datahub.quality.error.raised.v1"
RESOLVED = "gov.supervision.datahub.quality.error.resolved.v1"
_KEY = "COALESCE(provider_department_id::text, region_code, 'unknown')"
_RAISED_PAYLOAD = (
    "jsonb_build_object('error_id', id, 'library', library, 'rule', rule, 'dimension', dimension, "
    "'field', field, 'reason', reason, 'record_ref', record_ref, 'department_id', provider_department_id, "
    f"'region_code', region_code, 'raised_at', {SQL_NOW_RFC3339})"
)
_RESOLVED_PAYLOAD = (
    "jsonb_build_object('error_id', id, 'library', library, 'rule', rule, 'record_ref', record_ref, "
    "'department_id', provider_department_id, 'resolution', status, 'note', resolution_note, "
    f"'resolved_at', {SQL_NOW_RFC3339})"
)
_RETURNING = "RETURNING id, library, rule, dimension, field, reason, record_ref, provider_department_id, region_code"
_RETURNING_RESOLVED = (
    "RETURNING id, library, rule, record_ref, provider_department_id, region_code, status, resolution_note"
)


def _events(cte: str, event_type: str, payload: str) -> str:
    return outbox_select(
        event_type_sql=f"'{event_type}'", topic=DATAHUB_QUALITY_TOPIC, subject_sql=_KEY, payload_sql=payload
    ).replace("{source}", cte)


def _violations(rules: Sequence[Rule]) -> str:
    values = ", ".join(
        f"('{r.id}', '{r.dimension.value}', {repr(r.field) if r.field else 'NULL'}, "
        f"'{r.description.replace(chr(39), chr(39) * 2)}', ({r.violation}))"
        for r in rules
    )
    return f"CROSS JOIN LATERAL (VALUES {values}) AS x(rule, dimension, field, reason, failed) WHERE x.failed"


def _check_sql(library: str, *, new: bool, where: str) -> str:
    table = LIBRARIES[library].table
    rules = rules_of(library)
    fixed = (
        ""
        if new
        else f"""
, fixed AS (
    UPDATE quality_errors q SET status = 'fixed', resolved_at = now(), resolved_by = 'recheck'
    WHERE q.status = 'open' AND q.library = '{library}' AND q.record_id IN (SELECT id FROM r)
      AND q.rule <> '{rejected_row_rule(library)}'
      AND NOT EXISTS (SELECT 1 FROM v WHERE v.record_id = q.record_id AND v.rule = q.rule)
    {_RETURNING_RESOLVED}
), ev_fixed AS (
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    {_events("fixed", RESOLVED, _RESOLVED_PAYLOAD)}
)"""
    )
    return f"""
WITH r AS (SELECT * FROM {table} WHERE {where}),
v AS (
    SELECT x.rule, x.dimension, x.field, x.reason, r.id AS record_id, r.region_code, r.provider_department_id,
           r.source
    FROM r {_violations(rules)}
), new AS (
    INSERT INTO quality_errors (id, library, rule, dimension, field, reason, record_id, record_ref,
                                provider_department_id, region_code, source, status, raised_at)
    SELECT gen_random_uuid(), '{library}', rule, dimension, field, reason, record_id, record_id::text,
           provider_department_id, region_code, source, 'open', now()
    FROM v
    ON CONFLICT (rule, record_ref) WHERE status = 'open' DO NOTHING
    {_RETURNING}
), ev_new AS (
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    {_events("new", RAISED, _RAISED_PAYLOAD)}
){fixed}
SELECT (SELECT count(*) FROM new) AS raised, {"0" if new else "(SELECT count(*) FROM fixed)"} AS fixed
"""


@dataclass
class CheckResult:
    raised: int = 0
    fixed: int = 0


async def check_records(
    session: AsyncSession,
    library: str,
    ids: Sequence[uuid.UUID | str],
    *,
    new: bool = False,
    config: QualityConfig | None = None,
) -> CheckResult:
    """Run the library's rules on these records: raise new errors, close those the records now pass.

    `new` says the records were just created (no open errors to close).
    """
    if not ids or not rules_of(library):
        return CheckResult()
    config = config or current_config()
    sql = _check_sql(library, new=new, where="id = ANY(CAST(:ids AS uuid[]))")
    row = (
        await session.execute(
            text(sql.replace(SQL_NOW_RFC3339, "CAST(:now AS text)")),
            {"ids": [str(i) for i in ids], "now": _now(), **config.params()},
        )
    ).one()
    return CheckResult(raised=row.raised, fixed=row.fixed)


async def scan(
    session: AsyncSession,
    library: str,
    *,
    region_prefix: str = "",
    department_id: uuid.UUID | None = None,
    config: QualityConfig | None = None,
    batch: int = 50_000,
) -> CheckResult:
    """Run the rules over every record of a library in a region (and department): for changed rules and deadlines."""
    table = LIBRARIES[library].table
    total = CheckResult()
    after = uuid.UUID(int=0)
    while True:
        where = "region_code LIKE :prefix AND id > CAST(:after AS uuid)"
        if department_id is not None:
            where += " AND provider_department_id = CAST(:department AS uuid)"
        ids = (
            await session.execute(
                text(f"SELECT id FROM {table} WHERE {where} ORDER BY id LIMIT :batch"),
                {"prefix": region_prefix + "%", "after": str(after), "department": str(department_id), "batch": batch},
            )
        ).scalars()
        chunk = list(ids)
        if not chunk:
            return total
        result = await check_records(session, library, chunk, config=config)
        total.raised += result.raised
        total.fixed += result.fixed
        after = chunk[-1]


def _now() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_REJECTED_SQL = f"""
WITH new AS (
    INSERT INTO quality_errors (id, library, rule, dimension, field, reason, record_ref, subject_key,
                                provider_department_id, region_code, source, job_id, row_number, status, raised_at)
    SELECT gen_random_uuid(), :library, :rule, 'validity', f, r, 'job:' || CAST(:job AS text) || '#' || n, k,
           CAST(:department AS uuid), :region, :source, CAST(:job AS uuid), n, 'open', now()
    FROM unnest(CAST(:rows AS int[]), CAST(:fields AS text[]), CAST(:reasons AS text[]), CAST(:keys AS text[]))
         AS u(n, f, r, k)
    ON CONFLICT (rule, record_ref) WHERE status = 'open' DO NOTHING
    {_RETURNING}
), ev AS (
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    {_events("new", RAISED, _RAISED_PAYLOAD)}
)
SELECT count(*) FROM new
"""


async def raise_rejected_rows(
    session: AsyncSession,
    library: str,
    job_id: uuid.UUID,
    errors: Sequence[RowError],
    subject_keys: dict[int, str],
    *,
    provider_department_id: str | None,
    region_code: str | None,
    source: str | None,
) -> int:
    """One validity error per refused row of a file, fed back to the department that uploaded it."""
    by_row: dict[int, list[tuple[str, str]]] = {}
    for row, field, reason in errors:
        if field == "identity":  # a duplicate row: applied (the later one wins), not refused
            continue
        by_row.setdefault(row, []).append((field, reason))
    if not by_row:
        return 0
    rows = sorted(by_row)
    params: dict[str, Any] = {
        "library": library,
        "rule": rejected_row_rule(library),
        "job": str(job_id),
        "department": provider_department_id,
        "region": region_code,
        "source": source,
        "rows": rows,
        "fields": [by_row[r][0][0][:100] for r in rows],
        "reasons": ["; ".join(f"{f}: {m}" for f, m in by_row[r])[:2000] for r in rows],
        "keys": [subject_keys.get(r) for r in rows],
        "now": _now(),
    }
    return int(
        (await session.execute(text(_REJECTED_SQL.replace(SQL_NOW_RFC3339, "CAST(:now AS text)")), params)).scalar_one()
    )


_RESOLVE_SUBJECTS_SQL = f"""
WITH fixed AS (
    UPDATE quality_errors q SET status = 'fixed', resolved_at = now(), resolved_by = 'corrected record',
                                resolution_note = 'a corrected record of the same object was stored'
    FROM supervised_objects o
    WHERE q.status = 'open' AND q.library = 'objects' AND q.subject_key = 'name:' || o.name
      AND o.id = ANY(CAST(:ids AS uuid[]))
      AND q.provider_department_id IS NOT DISTINCT FROM CAST(:department AS uuid)
    RETURNING q.id, q.library, q.rule, q.record_ref, q.provider_department_id, q.region_code, q.status,
              q.resolution_note
), ev AS (
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    {_events("fixed", RESOLVED, _RESOLVED_PAYLOAD)}
)
SELECT count(*) FROM fixed
"""
_ANY_OPEN_SUBJECTS_SQL = (
    "SELECT EXISTS (SELECT 1 FROM quality_errors WHERE status = 'open' AND library = 'objects' "
    "AND subject_key IS NOT NULL AND provider_department_id IS NOT DISTINCT FROM CAST(:department AS uuid))"
)


async def resolve_corrected(
    session: AsyncSession, object_ids: Sequence[uuid.UUID | str], provider_department_id: str | None
) -> int:
    """Close a department's refused-row errors whose object it has now stored correctly (matched by name)."""
    if not object_ids:
        return 0
    params = {"department": provider_department_id}
    if not (await session.execute(text(_ANY_OPEN_SUBJECTS_SQL), params)).scalar_one():
        return 0
    sql = _RESOLVE_SUBJECTS_SQL.replace(SQL_NOW_RFC3339, "CAST(:now AS text)")
    ids = [str(i) for i in object_ids]
    return int((await session.execute(text(sql), {**params, "ids": ids, "now": _now()})).scalar_one())


_DISMISS_SQL = f"""
WITH fixed AS (
    UPDATE quality_errors SET status = 'dismissed', resolved_at = now(), resolved_by = :actor,
                              resolution_note = :note
    WHERE id = CAST(:id AS uuid) AND status = 'open'
    {_RETURNING_RESOLVED}
), ev AS (
    INSERT INTO outbox_events (event_id, event_type, topic, key, headers, payload)
    {_events("fixed", RESOLVED, _RESOLVED_PAYLOAD)}
)
SELECT count(*) FROM fixed
"""


async def dismiss(session: AsyncSession, error: QualityError, *, actor: str, note: str) -> None:
    """The providing department says the data is right (or the rule does not apply): closed, with its reason."""
    if error.status != "open":
        raise Conflict(f"this error is already {error.status}")
    sql = _DISMISS_SQL.replace(SQL_NOW_RFC3339, "CAST(:now AS text)")
    await session.execute(text(sql), {"id": str(error.id), "actor": actor, "note": note, "now": _now()})


async def recheck(session: AsyncSession, error: QualityError, config: QualityConfig | None = None) -> None:
    """Run the rules of the error's record again now (fixed if it passes)."""
    if error.record_id is None:
        raise Conflict("this row was refused and never stored: send a corrected record (or dismiss the error)")
    await check_records(session, error.library, [error.record_id], config=config)


@dataclass
class Score:
    library: str
    department_id: uuid.UUID | None
    records: int
    rejected_rows: int
    completeness: float
    validity: float
    timeliness: float
    score: float
    open_errors: int


def _ratio(bad: int, total: int) -> float:
    return round(1.0 - bad / total, 4) if total else 1.0


async def scores(
    session: AsyncSession, scope: DataScope, *, library: str | None = None, department_id: uuid.UUID | None = None
) -> list[Score]:
    """Quality per providing department and library: share of records without open errors, per dimension.

    completeness and timeliness: 1 - records with an open error of that dimension / records provided;
    validity: 1 - (records with an open validity error + refused rows still open) / (records + refused rows).
    """
    libraries = [library] if library else list(LIBRARIES)
    q = QualityError
    error_rows = (
        await session.execute(
            scope.filter(
                select(
                    q.library,
                    q.provider_department_id,
                    q.dimension,
                    func.count(func.distinct(q.record_ref)).label("records"),
                    func.count().filter(q.record_id.is_(None)).label("rejected"),
                    func.count().label("errors"),
                ),
                region=q.region_code,
                department=q.provider_department_id,
            )
            .where(q.status == "open", q.library.in_(libraries))
            .where(q.provider_department_id == department_id if department_id else true())
            .group_by(q.library, q.provider_department_id, q.dimension)
        )
    ).all()
    counts: dict[tuple[str, uuid.UUID | None], int] = {}
    for lib in libraries:
        table = LIBRARIES[lib].table
        where, params = _scope_sql(scope)
        if department_id is not None:
            where += " AND provider_department_id = CAST(:department AS uuid)"
            params["department"] = str(department_id)
        rows = (
            await session.execute(
                text(f"SELECT provider_department_id, count(*) FROM {table} WHERE {where} GROUP BY 1"), params
            )
        ).all()
        for dept, n in rows:
            counts[(lib, dept)] = n
    by_key: dict[tuple[str, uuid.UUID | None], dict[str, Any]] = {}
    for r in error_rows:
        entry = by_key.setdefault((r.library, r.provider_department_id), {"errors": 0, "rejected": 0})
        entry[r.dimension] = entry.get(r.dimension, 0) + r.records - r.rejected
        entry["rejected"] += r.rejected
        entry["errors"] += r.errors
    out = []
    for key in sorted(set(counts) | set(by_key), key=lambda k: (k[0], str(k[1]))):
        lib, dept = key
        n = counts.get(key, 0)
        e = by_key.get(key, {"errors": 0, "rejected": 0})
        rejected = e["rejected"]
        completeness = _ratio(min(e.get(QualityDimension.COMPLETENESS.value, 0), n), n)
        validity = _ratio(min(e.get(QualityDimension.VALIDITY.value, 0), n) + rejected, n + rejected)
        timeliness = _ratio(min(e.get(TIMELINESS.value, 0), n), n)
        out.append(
            Score(
                library=lib,
                department_id=dept,
                records=n,
                rejected_rows=rejected,
                completeness=completeness,
                validity=validity,
                timeliness=timeliness,
                score=round((completeness + validity + timeliness) / 3, 4),
                open_errors=e["errors"],
            )
        )
    return out


def _scope_sql(scope: DataScope) -> tuple[str, dict[str, Any]]:
    """The data-scope condition in SQL text (region prefix, and the department for department roles)."""
    if scope.unrestricted:
        return "TRUE", {}
    params: dict[str, Any]
    where, params = "region_code LIKE :prefix", {"prefix": scope.prefix + "%"}
    if not scope.all_departments:
        where += " AND provider_department_id = CAST(:own AS uuid)"
        params["own"] = str(scope.department) if scope.department else None
    return where, params


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
