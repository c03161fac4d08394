"""Grading: the active schemes and model, regrading objects, and writing grades, history and events in SQL.

Every path (a consumed event, an API change, a full recompute) ends in `write_staged`: scores are
staged in a temporary table and one statement upserts the grades whose score or class changed (only
when the object's inputs are still those the scores were computed from), appends them to the history
and stages `GradeChanged` events in the outbox.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.dates import today
from credit_svc.grading.engine import CompiledScheme, Scores, scheme_for_regions, score
from credit_svc.grading.features import FeatureFrame, features_for
from credit_svc.grading.indicators import SchemeDefinition
from credit_svc.grading.models import GradeTrigger, GradingScheme, SchemeStatus
from credit_svc.learning.service import ActiveModel, load_active_model
from credit_svc.sqlevents import SOURCE, now_text, outbox_insert_sql
from supervision_schemas.credit import CREDIT_GRADES_TOPIC
from svc_runtime.db import driver_connection
from svc_runtime.logging import request_id_var

GRADE_CHANGED = "gov.supervision.credit.grade.changed.v1"
_SMALL = 256

_compiled: dict[uuid.UUID, CompiledScheme] = {}


def compile_scheme(row: GradingScheme) -> CompiledScheme:
    """The engine's view of a stored scheme (cached: scheme versions never change once stored)."""
    cached = _compiled.get(row.id)
    if cached is None:
        definition = SchemeDefinition.model_validate(
            {
                "base_score": row.base_score,
                "min_score": row.min_score,
                "max_score": row.max_score,
                "classes": row.classes,
                "indicators": row.indicators,
                "forced": row.forced,
                "model_weight": row.model_weight,
            }
        )
        cached = CompiledScheme(row.id, row.key, row.version, row.region_prefix, definition)
        _compiled[row.id] = cached
    return cached


@dataclass
class GradingContext:
    """What grading needs: the active schemes (most specific region first), the active model, the date."""

    schemes: list[CompiledScheme]
    model: ActiveModel | None
    as_of: date
    refs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        refs: dict[str, None] = {}
        for s in self.schemes:
            refs.update(dict.fromkeys(s.refs))
        if self.model is not None and self.uses_model:
            refs.update(dict.fromkeys(self.model.refs))
        self.refs = list(refs)

    @property
    def uses_model(self) -> bool:
        return self.model is not None and any(s.definition.model_weight > 0 for s in self.schemes)


async def load_context(session: AsyncSession, as_of: date | None = None) -> GradingContext:
    rows = (await session.scalars(select(GradingScheme).where(GradingScheme.status == SchemeStatus.ACTIVE))).all()
    schemes = sorted((compile_scheme(r) for r in rows), key=lambda s: (len(s.region_prefix), s.key))
    model = await load_active_model(session)
    return GradingContext(schemes, model, as_of or today())


@dataclass
class ScoredGroup:
    """Scores of the rows `index` of a frame under one scheme."""

    scheme: CompiledScheme
    index: np.ndarray[Any, Any]
    scores: Scores


def score_frame(ctx: GradingContext, frame: FeatureFrame, *, only_changed: bool) -> list[ScoredGroup]:
    """Score every row under its region's scheme; with `only_changed`, keep rows whose score or class may change."""
    if len(frame) == 0 or not ctx.schemes:
        return []
    chosen = scheme_for_regions(ctx.schemes, frame.region)
    model_scores = ctx.model.model_score(frame) if ctx.uses_model and ctx.model is not None else None
    groups = []
    for i, scheme in enumerate(ctx.schemes):
        index = np.nonzero(chosen == i)[0]
        if len(index) == 0:
            continue
        sub = frame.take(index)
        result = score(scheme, frame.refs, sub.x, None if model_scores is None else model_scores[index])
        if only_changed:
            same = (
                (sub.cur_scheme == np.frombuffer(scheme.id.bytes, dtype="V16")[0])
                & (sub.cur_rank == result.class_rank)
                & (sub.cur_score == result.score)
            )
            keep = np.nonzero(~same)[0]
            index = index[keep]
            result = Scores(
                result.score[keep],
                result.rule_score[keep],
                result.model_score[keep],
                result.class_rank[keep],
                result.contributions[keep],
                result.feature_values[keep],
            )
        if len(index):
            groups.append(ScoredGroup(scheme, index, result))
    return groups


_STAGE_COLUMNS = (
    "object_id",
    "input_version",
    "scheme_id",
    "score",
    "rule_score",
    "model_score",
    "class_rank",
    "contributions",
    "feature_values",
    "trigger_ref",
)
_STAGE_DDL = (
    "object_id uuid, input_version int8, scheme_id uuid, score float8, rule_score float8, model_score float8, "
    "class_rank int4, contributions float8[], feature_values float8[], trigger_ref text"
)


async def _prepare_stage(session: AsyncSession) -> None:
    await session.execute(
        text(f"CREATE TEMP TABLE IF NOT EXISTS credit_grade_stage ({_STAGE_DDL}) ON COMMIT DELETE ROWS")
    )
    await session.execute(text("TRUNCATE credit_grade_stage"))


def _binary_stage(frame: FeatureFrame, group: ScoredGroup) -> bytes:
    """The rows of a group in PostgreSQL's binary COPY format, built with numpy (no loop per row)."""
    k = group.scores.contributions.shape[1]
    array_fields = [
        ("len", ">i4"),
        ("ndim", ">i4"),
        ("flags", ">i4"),
        ("oid", ">i4"),
        ("dim", ">i4"),
        ("lbound", ">i4"),
        ("items", [("len", ">i4"), ("v", ">f8")], (k,)),
    ]
    dtype = np.dtype(
        [
            ("n", ">i2"),
            ("l0", ">i4"),
            ("object_id", "V16"),
            ("l1", ">i4"),
            ("input_version", ">i8"),
            ("l2", ">i4"),
            ("scheme_id", "V16"),
            ("l3", ">i4"),
            ("score", ">f8"),
            ("l4", ">i4"),
            ("rule_score", ">f8"),
            ("l5", ">i4"),
            ("model_score", ">f8"),
            ("l6", ">i4"),
            ("class_rank", ">i4"),
            ("contributions", array_fields),
            ("feature_values", array_fields),
            ("l9", ">i4"),  # trigger_ref: NULL (-1, no data)
        ]
    )
    n = len(group.index)
    rows = np.zeros(n, dtype=dtype)
    rows["n"] = len(_STAGE_COLUMNS)
    for name, size in (("l0", 16), ("l1", 8), ("l2", 16), ("l3", 8), ("l4", 8), ("l5", 8), ("l6", 4), ("l9", -1)):
        rows[name] = size
    rows["object_id"] = frame.object_ids[group.index]
    rows["input_version"] = frame.input_version[group.index]
    rows["scheme_id"] = np.frombuffer(group.scheme.id.bytes, dtype="V16")[0]
    rows["score"] = group.scores.score
    rows["rule_score"] = group.scores.rule_score
    rows["model_score"] = group.scores.model_score
    rows["class_rank"] = group.scores.class_rank
    for name, values in (
        ("contributions", group.scores.contributions),
        ("feature_values", group.scores.feature_values),
    ):
        col = rows[name]
        col["len"] = 20 + 12 * k
        col["ndim"] = 1
        col["oid"] = 701  # float8
        col["dim"] = k
        col["lbound"] = 1
        col["items"]["len"] = 8
        col["items"]["v"] = values
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    return header + rows.tobytes() + b"\xff\xff"


async def stage_groups(
    session: AsyncSession,
    frame: FeatureFrame,
    groups: Sequence[ScoredGroup],
    trigger_refs: dict[uuid.UUID, str] | None = None,
) -> int:
    """Put the scored rows into the stage table of this transaction; return how many."""
    refs = trigger_refs or {}
    await _prepare_stage(session)
    conn = await driver_connection(session)
    total = 0
    for group in groups:
        n = len(group.index)
        total += n
        if n <= _SMALL or refs:
            s = group.scores
            ids = [uuid.UUID(bytes=bytes(frame.object_ids[i])) for i in group.index]
            records = [
                (
                    ids[j],
                    int(frame.input_version[i]),
                    group.scheme.id,
                    float(s.score[j]),
                    float(s.rule_score[j]),
                    float(s.model_score[j]),
                    int(s.class_rank[j]),
                    s.contributions[j].tolist(),
                    s.feature_values[j].tolist(),
                    refs.get(ids[j]),
                )
                for j, i in enumerate(group.index)
            ]
            await conn.copy_records_to_table("credit_grade_stage", records=records, columns=list(_STAGE_COLUMNS))
        else:
            await conn.copy_to_table(
                "credit_grade_stage",
                source=io.BytesIO(_binary_stage(frame, group)),
                columns=list(_STAGE_COLUMNS),
                format="binary",
            )
    return total


_FACTORS_SQL = """
    (SELECT COALESCE(json_agg(f.j ORDER BY f.a DESC, f.n), '[]'::json) FROM (
        SELECT json_build_object('indicator', i.keys[u.n], 'contribution', u.c,
                                 'detail', i.names[u.n] || ': ' || u.v) AS j, abs(u.c) AS a, u.n
        FROM unnest(st.contributions, st.feature_values) WITH ORDINALITY AS u(c, v, n)
        WHERE u.c <> 0
        UNION ALL
        SELECT json_build_object('indicator', 'model', 'contribution', round((st.score - st.rule_score)::numeric, 2),
                                 'detail', 'outcome model score ' || st.model_score), abs(st.score - st.rule_score), 0
        WHERE st.model_score IS NOT NULL AND st.score <> st.rule_score
        UNION ALL
        SELECT json_build_object('indicator', 'override', 'contribution', 0,
                                 'detail', 'manual class ' || st.risk_class || ' (rules: ' || st.automatic_class
                                           || ') until ' || st.ov_until || ': ' || st.ov_reason),
               'Infinity'::float8, -1
        WHERE st.override_id IS NOT NULL) f)
"""
_MOVED_SQL = """
    CASE WHEN st.old_scheme_id = st.scheme_id AND st.old_contributions IS NOT NULL THEN
        (SELECT COALESCE(json_agg(json_build_object('indicator', i.keys[u.n],
                                                    'contribution', round((u.c - u.p)::numeric, 2))
                                  ORDER BY abs(u.c - u.p) DESC, u.n), '[]'::json)
         FROM unnest(st.contributions, st.old_contributions) WITH ORDINALITY AS u(c, p, n)
         WHERE u.c <> u.p)
    ELSE '[]'::json END
"""
_PAYLOAD_SQL = f"""json_build_object(
    'object_id', st.object_id, 'uscc', st.uscc, 'name', st.name, 'region_code', st.region_code,
    'department_id', st.department_id, 'industry_code', st.industry_code,
    'previous_class', st.old_class, 'risk_class', st.risk_class, 'score', st.score,
    'scheme_id', st.scheme_key, 'scheme_version', st.scheme_version,
    'factors', {_FACTORS_SQL}, 'graded_at', CAST(:now AS text),
    'previous_score', st.old_score, 'moved_by', {_MOVED_SQL},
    'trigger', CAST(:trigger AS text), 'trigger_event_id', CASE WHEN CAST(:trigger AS text) = 'event' THEN st.ref END)"""

_AUTO_CLASS = "(sc.classes -> st.class_rank ->> 'label')"

# The stage holds scores of objects that may have changed. Under a share lock of each object (a regrade
# elsewhere bumps `input_version`, so it waits for us or we for it), only rows whose inputs are still the
# ones scored and whose score or class differ go on: a history entry, the grade pointing to it, an event.
WRITE_SQL = f"""
WITH st AS (
    SELECT st.object_id, st.input_version, st.scheme_id, st.score, st.rule_score,
           NULLIF(st.model_score, 'NaN'::float8) AS model_score, st.contributions, st.feature_values,
           COALESCE(st.trigger_ref, CAST(:trigger_ref AS text)) AS ref,
           sc.key AS scheme_key, sc.version AS scheme_version,
           {_AUTO_CLASS} AS automatic_class, COALESCE(ov.risk_class, {_AUTO_CLASS}) AS risk_class,
           COALESCE(ov.rank, st.class_rank) AS class_rank,
           ov.id AS override_id, ov.reason AS ov_reason, ov.valid_until AS ov_until,
           o.uscc, o.name, o.region_code, o.department_id, o.industry_code,
           g.risk_class AS old_class, g.score AS old_score, g.scheme_id AS old_scheme_id,
           -- (a subquery, not a join: read only for the rows that pass the filter below)
           (SELECT h.contributions FROM credit_grade_history h
            WHERE h.id = g.history_id AND g.scheme_id = st.scheme_id) AS old_contributions,
           nextval(pg_get_serial_sequence('credit_grade_history', 'id')) AS history_id
    FROM credit_grade_stage st
    JOIN grading_schemes sc ON sc.id = st.scheme_id
    JOIN credit_objects o ON o.object_id = st.object_id AND o.input_version = st.input_version AND o.status = 'active'
    LEFT JOIN credit_grades g ON g.object_id = st.object_id
    LEFT JOIN (
        -- the manual overrides in force today (few: one hash join, not a probe per staged row), with the
        -- rank of their class in each staged scheme (an override to a class the scheme lacks does not apply)
        SELECT v.object_id, s.id AS scheme_id, v.id, v.risk_class, v.reason, v.valid_until, (e.n - 1)::int4 AS rank
        FROM credit_grade_overrides v
        CROSS JOIN grading_schemes s
        JOIN LATERAL jsonb_array_elements(s.classes) WITH ORDINALITY AS e(x, n) ON e.x ->> 'label' = v.risk_class
        WHERE v.status = 'active' AND v.valid_from <= CAST(:today AS date) AND v.valid_until > CAST(:today AS date)
          AND s.id IN (SELECT DISTINCT scheme_id FROM credit_grade_stage)
    ) ov ON ov.object_id = st.object_id AND ov.scheme_id = st.scheme_id
    WHERE g.object_id IS NULL
       OR (g.input_version <= st.input_version
           AND (g.score, g.risk_class, g.automatic_class, g.override_id)
               IS DISTINCT FROM (st.score, COALESCE(ov.risk_class, {_AUTO_CLASS}), {_AUTO_CLASS}, ov.id))
    FOR SHARE OF o
), ind AS (
    SELECT s.id AS scheme_id, array_agg(e.x ->> 'key' ORDER BY e.n) AS keys,
           array_agg(e.x ->> 'name' ORDER BY e.n) AS names
    FROM grading_schemes s CROSS JOIN LATERAL jsonb_array_elements(s.indicators) WITH ORDINALITY AS e(x, n)
    WHERE s.id IN (SELECT DISTINCT scheme_id FROM credit_grade_stage)
    GROUP BY s.id
), hist AS (
    INSERT INTO credit_grade_history (id, object_id, scheme_id, scheme_key, scheme_version, score, rule_score,
        model_score, risk_class, previous_class, previous_score, contributions, feature_values, automatic_class,
        override_id, trigger, trigger_ref, graded_at)
    OVERRIDING SYSTEM VALUE
    SELECT history_id, object_id, scheme_id, scheme_key, scheme_version, score, rule_score, model_score, risk_class,
           old_class, old_score, contributions, feature_values, automatic_class, override_id, :trigger, ref, now()
    FROM st
), up AS (
    INSERT INTO credit_grades AS g (object_id, scheme_id, scheme_key, scheme_version, score, rule_score, model_score,
        risk_class, class_rank, previous_class, previous_score, history_id, automatic_class, override_id,
        input_version, trigger, trigger_ref, graded_at)
    SELECT st.object_id, scheme_id, scheme_key, scheme_version, score, rule_score, model_score, risk_class,
           class_rank, old_class, old_score, history_id, automatic_class, override_id, input_version, :trigger, ref,
           now()
    FROM st
    ON CONFLICT (object_id) DO UPDATE SET
        scheme_id = EXCLUDED.scheme_id, scheme_key = EXCLUDED.scheme_key, scheme_version = EXCLUDED.scheme_version,
        score = EXCLUDED.score, rule_score = EXCLUDED.rule_score, model_score = EXCLUDED.model_score,
        risk_class = EXCLUDED.risk_class, class_rank = EXCLUDED.class_rank,
        automatic_class = EXCLUDED.automatic_class, override_id = EXCLUDED.override_id,
        previous_class = EXCLUDED.previous_class, previous_score = EXCLUDED.previous_score,
        history_id = EXCLUDED.history_id, input_version = EXCLUDED.input_version,
        trigger = EXCLUDED.trigger, trigger_ref = EXCLUDED.trigger_ref, graded_at = EXCLUDED.graded_at
    RETURNING g.object_id
), ev AS (
    {
    outbox_insert_sql(
        event_type_sql=f"'{GRADE_CHANGED}'",
        topic=CREDIT_GRADES_TOPIC,
        subject_sql="st.object_id::text",
        payload_sql=_PAYLOAD_SQL,
        from_sql="st JOIN ind i ON i.scheme_id = st.scheme_id",
    )
}
)
SELECT st.object_id, st.risk_class, st.old_class FROM st
"""


async def write_staged(
    session: AsyncSession, *, trigger: GradeTrigger, trigger_ref: str | None
) -> list[tuple[uuid.UUID, str, str | None]]:
    """Apply the stage table: changed grades written, history appended, events staged; returns what changed."""
    rows = (
        await session.execute(
            text(WRITE_SQL),
            {
                "trigger": trigger.value,
                "trigger_ref": trigger_ref,
                "today": today(),
                "now": now_text(),
                "rid": request_id_var.get(),
            },
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


async def regrade(
    session: AsyncSession,
    object_ids: Sequence[uuid.UUID],
    *,
    trigger: GradeTrigger,
    trigger_ref: str | None = None,
    trigger_refs: dict[uuid.UUID, str] | None = None,
    ctx: GradingContext | None = None,
    force: bool = False,
) -> list[tuple[uuid.UUID, str, str | None]]:
    """Regrade these objects inside the caller's transaction; returns (object, class, previous class) that changed.

    `trigger_refs` names, per object, what caused the regrade (the consumed event id for trigger `event`).
    With `force`, every object is written unless its grade (score, class, override) is exactly the same, for
    changes the scores do not show (an override starting or ending).
    """
    ids = list(dict.fromkeys(object_ids))
    if not ids:
        return []
    ctx = ctx or await load_context(session)
    if not ctx.schemes:
        return []
    changed: list[tuple[uuid.UUID, str, str | None]] = []
    for start in range(0, len(ids), 5_000):
        frame = await features_for(session, ctx.refs, ids[start : start + 5_000], ctx.as_of)
        groups = score_frame(ctx, frame, only_changed=not force)
        if not groups:
            continue
        await stage_groups(session, frame, groups, trigger_refs)
        changed += await write_staged(session, trigger=trigger, trigger_ref=trigger_ref)
    return changed


async def bump_inputs(session: AsyncSession, object_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Count a change of these objects' inputs (grades computed before it will not be written); returns known ids."""
    if not object_ids:
        return []
    result = await session.execute(
        text(
            "UPDATE credit_objects SET input_version = input_version + 1 "
            "WHERE object_id = ANY(CAST(:ids AS uuid[])) AND status = 'active' RETURNING object_id"
        ),
        {"ids": [str(i) for i in dict.fromkeys(object_ids)]},
    )
    return list(result.scalars().all())


__all__ = ["SOURCE", "GradingContext", "bump_inputs", "load_context", "regrade", "score_frame", "stage_groups"]
