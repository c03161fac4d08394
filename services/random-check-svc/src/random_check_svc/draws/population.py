"""What a draw reads: the eligible population in strata, the inspector pools, the avoidance pairs.

The population comes out of PostgreSQL already grouped: one row per (exclusion reason, class, lead,
kind) with a count, and for eligible groups the object ids as one bytea (16 bytes each), which numpy
then sorts. Nothing is done per object in Python.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from random_check_svc.draws import algorithm
from random_check_svc.library.models import RcInspector, RcItem
from random_check_svc.library.service import inspector_valid_on
from random_check_svc.plans.models import RcPlan, RcPlanDepartment
from random_check_svc.settings import RandomCheckSettings
from random_check_svc.tasks.models import OPEN_STATUSES, RcTask
from svc_runtime.scope import region_prefix

LEAD_SUFFIX = "+lead"
_RECORD = np.dtype([("id", "V16"), ("region", "S6")])  # one eligible object as the population query sends it

_POPULATION_SQL = """
WITH hist AS (
    SELECT v.object_id,
           count(*) FILTER (WHERE v.check_date >= :cap_from) AS checks,
           bool_or(v.check_date > :recent_from AND v.department_ids && CAST(:departments AS uuid[])) AS recent
    FROM rc_visits v
    WHERE v.check_date >= LEAST(:cap_from, :recent_from)
    GROUP BY v.object_id
),
leads AS (SELECT object_id, uscc FROM rc_leads WHERE closed_at IS NULL),
pop AS (
    SELECT o.object_id, o.region_code,
           coalesce(o.kind, 'unknown') AS kind,
           coalesce(o.credit_class, '') AS cls,
           (o.object_id IN (SELECT object_id FROM leads WHERE object_id IS NOT NULL)
            OR o.uscc IN (SELECT uscc FROM leads WHERE uscc IS NOT NULL)) AS lead,
           CASE WHEN o.status <> 'active' THEN 'inactive'
                WHEN coalesce(h.recent, false) THEN 'recent'
                WHEN coalesce(h.checks, 0) >= :cap THEN 'cap'
                ELSE 'eligible' END AS reason
    FROM rc_objects o LEFT JOIN hist h ON h.object_id = o.object_id
    WHERE o.region_code LIKE :prefix {kind_filter} {industry_filter}
)
SELECT reason, cls, lead, kind, count(*) AS n,
       string_agg(uuid_send(object_id) || convert_to(rpad(region_code, 6), 'UTF8'), ''::bytea)
           FILTER (WHERE reason = 'eligible') AS ids
FROM pop GROUP BY reason, cls, lead, kind
"""


@dataclass
class PopulationRead:
    strata: list[algorithm.Stratum]
    population: algorithm.Population
    regions: list[np.ndarray]  # per stratum, aligned with the ids: each object's region code (S6)
    kinds: list[str]
    excluded: dict[str, int]
    eligible: int


@dataclass
class DepartmentPool:
    department_id: uuid.UUID
    items: list[RcItem]
    inspectors: list[algorithm.Inspector] = field(default_factory=list)


def eligible_kinds(plan: RcPlan, pools: list[DepartmentPool]) -> list[str] | None:
    """Object kinds some participant has an item for (None: any kind, even unknown)."""
    wanted = set(plan.object_kinds)
    if any(not item.object_types for pool in pools for item in pool.items):
        return sorted(wanted) if wanted else None
    kinds = {kind for pool in pools for item in pool.items for kind in item.object_types}
    return sorted(kinds & wanted if wanted else kinds)


def stratum_ratio(key: str, plan: RcPlan) -> str:
    """The ratio of a stratum as an exact decimal string (lead strata: the higher of class and lead ratio)."""
    cls = key.removesuffix(LEAD_SUFFIX)
    ratio = Decimal(repr(float(plan.class_ratios.get(cls, 0.0))))
    if key.endswith(LEAD_SUFFIX):
        ratio = max(ratio, Decimal(repr(float(plan.lead_ratio))))
    return format(ratio.normalize(), "f")


async def read_population(
    session: AsyncSession,
    plan: RcPlan,
    pools: list[DepartmentPool],
    check_date: date,
    settings: RandomCheckSettings,
) -> PopulationRead:
    kinds = eligible_kinds(plan, pools)
    params: dict[str, Any] = {
        "cap_from": check_date - timedelta(days=plan.cap_period_days),
        "recent_from": check_date - timedelta(days=plan.recent_check_days),
        "departments": [str(p.department_id) for p in pools],
        "cap": plan.max_checks_per_period,
        "prefix": region_prefix(plan.region_code) + "%",
    }
    kind_filter = ""
    if kinds is not None:
        kind_filter = "AND o.kind = ANY(CAST(:kinds AS text[]))"
        params["kinds"] = kinds
    industry_filter = ""
    if plan.industry_codes:
        industry_filter = "AND o.industry_code LIKE ANY(CAST(:industries AS text[]))"
        params["industries"] = [code + "%" for code in plan.industry_codes]
    sql = _POPULATION_SQL.format(kind_filter=kind_filter, industry_filter=industry_filter)
    rows = (await session.execute(text(sql), params)).all()

    classes = set(settings.credit_classes)
    excluded: dict[str, int] = {"inactive": 0, "recent": 0, "cap": 0}
    groups: dict[str, list[tuple[str, bytes]]] = {}
    for row in rows:
        if row.reason != "eligible":
            excluded[row.reason] += int(row.n)
            continue
        cls = row.cls if row.cls in classes else "unclassified"
        key = cls + (LEAD_SUFFIX if row.lead else "")
        groups.setdefault(key, []).append((row.kind, bytes(row.ids)))
    present_kinds = sorted({kind for parts in groups.values() for kind, _ in parts})
    kind_index = {kind: i for i, kind in enumerate(present_kinds)}
    order = [*settings.credit_classes, "unclassified"]
    keys = sorted(groups, key=lambda k: (order.index(k.removesuffix(LEAD_SUFFIX)), k.endswith(LEAD_SUFFIX)))
    strata, id_blobs, kind_blobs, regions = [], [], [], []
    for key in keys:
        records = np.frombuffer(b"".join(blob for _, blob in groups[key]), dtype=_RECORD)
        kind_codes = np.concatenate(
            [np.full(len(blob) // _RECORD.itemsize, kind_index[kind], dtype=np.uint8) for kind, blob in groups[key]]
        )
        halves = np.frombuffer(records["id"].tobytes(), dtype=">u8").reshape(-1, 2)
        sort = np.lexsort((halves[:, 1], halves[:, 0]))
        id_blobs.append(records["id"][sort].tobytes())
        kind_blobs.append(kind_codes[sort].tobytes())
        regions.append(records["region"][sort])
        strata.append(algorithm.Stratum(key, stratum_ratio(key, plan), len(sort)))
    return PopulationRead(
        strata=strata,
        population=algorithm.Population(id_blobs, kind_blobs),
        regions=regions,
        kinds=present_kinds,
        excluded=excluded,
        eligible=sum(s.size for s in strata),
    )


def qualification_mask(qualifications: list[str], items: list[RcItem]) -> int:
    """Bit i set when the inspector is qualified for item i: its code, its main item's code or its domain."""
    held = set(qualifications)
    mask = 0
    for i, item in enumerate(items):
        if (
            item.code in held
            or (item.parent_code and item.parent_code in held)
            or (item.domain and item.domain in held)
        ):
            mask |= 1 << i
    return mask


async def department_pools(
    session: AsyncSession, participants: list[RcPlanDepartment], check_date: date
) -> list[DepartmentPool]:
    """Per department: its items of the plan, and its inspectors valid on the check date with their masks and loads."""
    codes = {code for p in participants for code in p.item_codes}
    items = {i.code: i for i in (await session.scalars(select(RcItem).where(RcItem.code.in_(codes)))).all()}
    departments = [p.department_id for p in participants]
    inspectors = (
        await session.scalars(
            select(RcInspector).where(RcInspector.department_id.in_(departments), inspector_valid_on(check_date))
        )
    ).all()
    inspector = func.unnest(RcTask.inspector_ids).label("inspector_id")
    loads_rows = await session.execute(
        select(inspector, func.count())
        .where(RcTask.department_id.in_(departments), RcTask.status.in_(OPEN_STATUSES))
        .group_by(inspector)
    )
    loads = {row[0]: int(row[1]) for row in loads_rows}
    pools = []
    for p in participants:
        dept_items = [items[code] for code in p.item_codes if code in items]
        pool = DepartmentPool(p.department_id, dept_items)
        for person in sorted(
            (i for i in inspectors if i.department_id == p.department_id), key=lambda i: str(i.user_id)
        ):
            mask = qualification_mask(person.qualifications, dept_items)
            if mask:
                pool.inspectors.append(algorithm.Inspector(str(person.user_id), mask, loads.get(person.user_id, 0)))
        pools.append(pool)
    return pools


_AVOIDANCE_SQL = """
WITH s AS (
    SELECT CAST(encode(substring(CAST(:ids AS bytea) FROM i * 16 + 1 FOR 16), 'hex') AS uuid) AS object_id
    FROM generate_series(0, :n - 1) AS i
),
last_visit AS (
    SELECT DISTINCT ON (v.object_id) v.id
    FROM rc_visits v JOIN s ON s.object_id = v.object_id
    ORDER BY v.object_id, v.check_date DESC, v.ordinal DESC
)
SELECT uuid_send(c.object_id) AS o, uuid_send(c.inspector_id) AS i, 'conflict' AS reason
FROM rc_conflicts c JOIN s ON s.object_id = c.object_id
WHERE c.withdrawn_at IS NULL
UNION ALL
SELECT uuid_send(t.object_id), uuid_send(x.inspector_id), 'previous'
FROM rc_tasks t JOIN last_visit l ON t.visit_id = l.id, unnest(t.inspector_ids) AS x(inspector_id)
"""


async def avoidance_pairs(
    session: AsyncSession, object_ids: bytes, inspectors: set[bytes]
) -> tuple[set[tuple[bytes, bytes]], dict[str, int]]:
    """(object, inspector) pairs never to be drawn together, for the drawn objects and pooled inspectors."""
    n = len(object_ids) // 16
    if not n or not inspectors:
        return set(), {"conflict": 0, "previous": 0}
    rows = (await session.execute(text(_AVOIDANCE_SQL), {"ids": object_ids, "n": n})).all()
    pairs: set[tuple[bytes, bytes]] = set()
    counts = {"conflict": 0, "previous": 0}
    for row in rows:
        inspector = bytes(row.i)
        if inspector in inspectors:
            pair = (bytes(row.o), inspector)
            if pair not in pairs:
                pairs.add(pair)
                counts[row.reason] += 1
    return pairs, counts
