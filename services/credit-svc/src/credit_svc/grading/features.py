"""Features of objects as of a date, in one set-based query (hash aggregates over each input table).

The same SQL serves a handful of objects (in a consumer transaction) and every object (a full
recompute, streamed with binary COPY and parsed into numpy without a Python loop per row).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.grading.indicators import FEATURES, Source

NIL_UUID = uuid.UUID(int=0)

_SIGNAL_KINDS = {
    "inspections_failed": "kind = 'inspection_failed'",
    "inspections_passed": "kind = 'inspection_passed'",
    "enforcement_measures": "kind = 'enforcement_measure'",
    "complaints": "kind = 'complaint'",
    "reports": "kind = 'report'",
    "third_party_adverse": "kind = 'third_party_adverse'",
    "third_party": "kind IN ('third_party', 'third_party_adverse')",
}
_LIST_RECORDS = {
    "abnormal_list": "record_type = 'abnormal_operation'",
    "serious_violation_list": "record_type = 'serious_violation'",
    "black_list": "record_type = 'black_list'",
    "red_list": "record_type = 'red_list'",
}
#: Header columns every feature row starts with, before the feature values.
HEADER = ("object_id", "input_version", "region", "cur_rank", "cur_score", "cur_scheme")


def _parse_ref(ref: str) -> tuple[str, int | None]:
    name, _, window = ref.partition("@")
    if name not in FEATURES:
        raise ValueError(f"unknown feature {name}")
    return name, (int(window) if window else None)


@dataclass(frozen=True)
class FeatureSQL:
    """The feature query for a list of feature refs as of a date."""

    refs: tuple[str, ...]
    as_of: date

    def _d(self) -> str:
        return f"DATE '{self.as_of.isoformat()}'"

    def _signal_expr(self, name: str, window: int | None) -> str:
        d = self._d()
        cond = _SIGNAL_KINDS[name]
        return f"count(*) FILTER (WHERE {cond} AND occurred_on > {d} - {int(window or 0)})::float8"

    def _record_expr(self, name: str, window: int | None) -> str:
        d = self._d()
        in_force = (
            f"effective_from <= {d} AND (ended_on IS NULL OR ended_on > {d}) "
            f"AND (effective_until IS NULL OR effective_until > {d})"
        )
        counted_penalty = (
            f"record_type = 'penalty' AND decided_on > {d} - {int(window or 0)} "
            f"AND NOT (status = 'repaired' AND ended_on <= {d})"
        )
        match name:
            case "penalties":
                return f"count(*) FILTER (WHERE {counted_penalty})::float8"
            case "penalty_amount":
                return f"COALESCE(sum(amount) FILTER (WHERE {counted_penalty}), 0)::float8"
            case "commendations":
                return (
                    f"count(*) FILTER (WHERE record_type = 'commendation' AND decided_on > {d} - {int(window or 0)} "
                    f"AND NOT (status IN ('removed', 'repaired') AND ended_on <= {d}))::float8"
                )
            case _:
                return f"count(*) FILTER (WHERE {_LIST_RECORDS[name]} AND {in_force})::float8"

    def sql(self, *, ids: bool) -> str:
        """The SELECT; with `ids`, limited to the objects of the `:ids` parameter."""
        d = self._d()
        parsed = [(ref, *_parse_ref(ref)) for ref in self.refs]
        sources = {FEATURES[name].source for _, name, _ in parsed}
        needs_compliance = any(name == "compliance" for _, name, _ in parsed)
        where_ids = "object_id = ANY(CAST(:ids AS uuid[]))" if ids else "TRUE"
        signal_cols: dict[str, str] = {}
        record_cols: dict[str, str] = {}
        columns: list[str] = []
        for i, (_ref, name, window) in enumerate(parsed):
            source = FEATURES[name].source
            alias = f"f{i}"
            if source is Source.OBJECT:
                columns.append(
                    "((CASE WHEN o.uscc IS NOT NULL OR o.code IS NOT NULL THEN 1 ELSE 0 END)"
                    " + (CASE WHEN o.industry_code IS NOT NULL THEN 1 ELSE 0 END)"
                    " + (CASE WHEN o.department_id IS NOT NULL THEN 1 ELSE 0 END)"
                    " + (CASE WHEN o.kind = 'legal_person' OR o.owner_uscc IS NOT NULL THEN 1 ELSE 0 END))::float8 / 4"
                )
            elif source is Source.SIGNALS:
                signal_cols[alias] = self._signal_expr(name, window)
                columns.append(f"COALESCE(s.{alias}, 0)")
            elif source is Source.RECORDS:
                record_cols[alias] = self._record_expr(name, window)
                columns.append(f"COALESCE(r.{alias}, 0)")
            elif source is Source.WARNINGS:
                columns.append("COALESCE(w.n, 0)::float8" if name == "warnings_open" else "COALESCE(w.lvl, 0)::float8")
            else:  # compliance: years since the last adverse fact, at most the window
                w = int(window or 0)
                columns.append(
                    f"floor(LEAST({w}, {d} - COALESCE(GREATEST(s.last_adverse, r.last_adverse), {d} - {w})) / 365.0)::float8"
                )
        joins = []
        if signal_cols or needs_compliance:
            cols = [f"{expr} AS {alias}" for alias, expr in signal_cols.items()]
            cols.append(
                "max(occurred_on) FILTER (WHERE kind IN ('inspection_failed', 'enforcement_measure')) AS last_adverse"
            )
            joins.append(
                f"LEFT JOIN (SELECT object_id, {', '.join(cols)} FROM credit_signals "
                f"WHERE object_id IS NOT NULL AND occurred_on <= {d} AND {where_ids} GROUP BY object_id) s "
                "ON s.object_id = o.object_id"
            )
        if record_cols or needs_compliance:
            cols = [f"{expr} AS {alias}" for alias, expr in record_cols.items()]
            cols.append(
                f"max(decided_on) FILTER (WHERE record_type = 'penalty' "
                f"AND NOT (status = 'repaired' AND ended_on <= {d})) AS last_adverse"
            )
            joins.append(
                f"LEFT JOIN (SELECT object_id, {', '.join(cols)} FROM credit_records "
                f"WHERE NOT automatic AND decided_on <= {d} AND {where_ids} GROUP BY object_id) r "
                "ON r.object_id = o.object_id"
            )
        if Source.WARNINGS in sources:
            joins.append(
                "LEFT JOIN (SELECT object_id, count(*) AS n, max(level_rank) AS lvl FROM credit_warnings "
                f"WHERE object_id IS NOT NULL AND raised_at::date <= {d} "
                f"AND (closed_at IS NULL OR closed_at::date > {d}) AND {where_ids} GROUP BY object_id) w "
                "ON w.object_id = o.object_id"
            )
        head = (
            # an overridden grade's class is not the rules' class: always a candidate (the write decides)
            "o.object_id, o.input_version, o.region_code::int4, "
            "CASE WHEN g.override_id IS NULL THEN COALESCE(g.class_rank::int4, -1) ELSE -1 END, "
            f"COALESCE(g.score, 'NaN'::float8), COALESCE(g.scheme_id, '{NIL_UUID}'::uuid)"
        )
        outer_ids = "o.object_id = ANY(CAST(:ids AS uuid[]))" if ids else "TRUE"
        return (
            f"SELECT {', '.join([head, *columns])} FROM credit_objects o "
            + " ".join(joins)
            + f" LEFT JOIN credit_grades g ON g.object_id = o.object_id WHERE o.status = 'active' AND {outer_ids}"
        )


@dataclass
class FeatureFrame:
    """Features of n objects: the header columns and an (n, len(refs)) matrix."""

    refs: tuple[str, ...]
    object_ids: np.ndarray[Any, Any]  # 16-byte raw UUIDs (dtype V16)
    input_version: np.ndarray[Any, Any]
    region: np.ndarray[Any, Any]
    cur_rank: np.ndarray[Any, Any]
    cur_score: np.ndarray[Any, Any]
    cur_scheme: np.ndarray[Any, Any]  # V16
    x: np.ndarray[Any, Any]

    def __len__(self) -> int:
        return len(self.input_version)

    def column(self, ref: str) -> np.ndarray[Any, Any]:
        return self.x[:, self.refs.index(ref)]

    def take(self, index: np.ndarray[Any, Any]) -> FeatureFrame:
        return FeatureFrame(
            self.refs,
            self.object_ids[index],
            self.input_version[index],
            self.region[index],
            self.cur_rank[index],
            self.cur_score[index],
            self.cur_scheme[index],
            self.x[index],
        )


def _row_dtype(n_features: int) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for name, kind in (
        ("object_id", "V16"),
        ("input_version", ">i8"),
        ("region", ">i4"),
        ("cur_rank", ">i4"),
        ("cur_score", ">f8"),
        ("cur_scheme", "V16"),
    ):
        fields += [(f"l_{name}", ">i4"), (name, kind)]
    for i in range(n_features):
        fields += [(f"l_f{i}", ">i4"), (f"f{i}", ">f8")]
    return np.dtype(fields)


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def parse_binary_copy(refs: Sequence[str], data: bytes | bytearray | memoryview) -> FeatureFrame:
    """Parse `COPY ... TO STDOUT (FORMAT binary)` of the feature query (fixed-width rows, no NULLs)."""
    buffer = memoryview(data)
    if bytes(buffer[:11]) != _COPY_SIGNATURE:
        raise ValueError("not a binary COPY stream")
    ext = int.from_bytes(buffer[15:19], "big")
    body = buffer[19 + ext : len(buffer) - 2]
    dtype = _row_dtype(len(refs))
    rows = np.frombuffer(body, dtype=dtype)
    if len(rows) and (rows["n"] != len(HEADER) + len(refs)).any():
        raise ValueError("unexpected field count in the feature stream")
    x = np.empty((len(rows), len(refs)), dtype=np.float64)
    for i in range(len(refs)):
        x[:, i] = rows[f"f{i}"]
    return FeatureFrame(
        tuple(refs),
        rows["object_id"].copy(),
        rows["input_version"].astype(np.int64),
        rows["region"].astype(np.int32),
        rows["cur_rank"].astype(np.int32),
        rows["cur_score"].astype(np.float64),
        rows["cur_scheme"].copy(),
        x,
    )


def frame_from_rows(refs: Sequence[str], rows: Sequence[Any]) -> FeatureFrame:
    """Build a frame from the rows of the feature query run with parameters (small sets)."""
    n = len(rows)
    ids = np.array([r[0].bytes for r in rows], dtype="V16") if n else np.empty(0, dtype="V16")
    schemes = np.array([r[5].bytes for r in rows], dtype="V16") if n else np.empty(0, dtype="V16")
    x = np.array([[float(v) for v in r[len(HEADER) :]] for r in rows], dtype=np.float64).reshape(n, len(refs))
    return FeatureFrame(
        tuple(refs),
        ids,
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.int32),
        np.array([r[3] for r in rows], dtype=np.int32),
        np.array([r[4] for r in rows], dtype=np.float64),
        schemes,
        x,
    )


async def features_for(
    session: AsyncSession, refs: Sequence[str], object_ids: Sequence[uuid.UUID], as_of: date
) -> FeatureFrame:
    """Features of a few objects (active ones only) inside the caller's transaction."""
    query = FeatureSQL(tuple(refs), as_of).sql(ids=True)
    rows = (await session.execute(text(query), {"ids": [str(i) for i in object_ids]})).all()
    return frame_from_rows(refs, rows)
