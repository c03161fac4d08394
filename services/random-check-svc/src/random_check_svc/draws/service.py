"""Draws: commit (seed hash published), execute (draw, record, reveal), verify (re-run from the ledger)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from random_check_svc.access import actor
from random_check_svc.draws import algorithm, ledger
from random_check_svc.draws.models import DrawStatus, LedgerEntry, RcDraw
from random_check_svc.draws.population import avoidance_pairs, department_pools, read_population
from random_check_svc.draws.schemas import DrawCommit, DrawExecute, Verification
from random_check_svc.errors import IllegalState, InvalidInput, NotEnoughInspectors, UnknownRecord
from random_check_svc.plans import service as plan_service
from random_check_svc.plans.models import PlanKind, PlanStatus, RcPlan
from random_check_svc.settings import RandomCheckSettings
from supervision_schemas.randomcheck import DrawCompleted, DrawCompletedData
from svc_runtime import outbox
from svc_runtime.db import utc_now
from svc_runtime.pagination import PaginationParams, paginate
from svc_runtime.scope import DataScope

SOURCE = "/random-check-svc"
EXECUTION_LOCK = 7_301_001


async def get(session: AsyncSession, draw_id: uuid.UUID, scope: DataScope) -> RcDraw:
    """A draw whose plan the caller may see."""
    draw = await session.get(RcDraw, draw_id)
    if draw is None:
        raise UnknownRecord(f"no draw {draw_id} in your scope")
    await plan_service.get(session, draw.plan_id, scope)
    return draw


async def list_draws(
    session: AsyncSession,
    params: PaginationParams,
    *,
    scope: DataScope,
    plan_id: uuid.UUID | None = None,
    status: DrawStatus | None = None,
) -> tuple[list[RcDraw], int]:
    statement = select(RcDraw).join(RcPlan, RcPlan.id == RcDraw.plan_id).where(plan_service.plan_visible(scope))
    if plan_id:
        statement = statement.where(RcDraw.plan_id == plan_id)
    if status:
        statement = statement.where(RcDraw.status == status.value)
    return await paginate(session, statement.order_by(RcDraw.committed_at.desc(), RcDraw.id), params)


async def seal(session: AsyncSession, plan_id: uuid.UUID, data: DrawCommit, *, scope: DataScope) -> RcDraw:
    """Seal a fresh 256-bit seed and publish its hash; nothing is drawn yet."""
    plan = await plan_service.get(session, plan_id, scope)
    scope.check_write(region_code=plan.region_code, department_id=plan.department_id)
    if plan.status != PlanStatus.ACTIVE.value:
        raise IllegalState("the plan is closed")
    if data.check_date.year != plan.year:
        raise InvalidInput(
            f"check_date: {data.check_date} is not in the plan's year {plan.year}",
            errors=[{"loc": ["body", "check_date"], "msg": f"must be in {plan.year}"}],
        )
    seed = secrets.token_bytes(32)
    draw = RcDraw(
        plan_id=plan.id,
        department_id=plan.department_id,
        region_code=plan.region_code,
        status=DrawStatus.COMMITTED,
        algorithm=algorithm.ALGORITHM,
        check_date=data.check_date,
        seed_hash=hashlib.sha256(seed).hexdigest(),
        sealed_seed=seed,
        note=data.note,
        created_by=actor(scope),
    )
    session.add(draw)
    await session.flush()
    await ledger.append(
        session,
        draw.id,
        LedgerEntry.COMMITMENT,
        {
            "algorithm": draw.algorithm,
            "plan_id": str(plan.id),
            "check_date": data.check_date.isoformat(),
            "seed_hash": draw.seed_hash,
            "committed_by": draw.created_by,
            "committed_at": utc_now().isoformat(),
        },
    )
    return draw


def _check_pools(
    params: algorithm.Params,
    population: algorithm.Population,
    check_date: date,
    names: dict[uuid.UUID, str],
) -> None:
    """Refuse a draw some department cannot staff: fewer qualified, valid inspectors than needed per object."""
    drawn_kinds: set[str] = set()
    for index, stratum in enumerate(params.strata):
        if algorithm.quota(stratum.ratio, stratum.size):
            codes = np.unique(np.frombuffer(population.kinds[index], dtype=np.uint8))
            drawn_kinds.update(params.kinds[int(k)] for k in codes)
    problems = []
    for dept in params.departments:
        for kind in sorted(drawn_kinds):
            mask = dept.required_mask(kind)
            if not mask:
                continue
            qualified = sum(1 for p in dept.inspectors if p.mask & mask == mask)
            if qualified < params.per_object:
                codes_needed = [item.code for i, item in enumerate(dept.items) if mask >> i & 1]
                name = names.get(uuid.UUID(dept.id), dept.id)
                problems.append(
                    f"department {name} has {qualified} inspector(s) qualified for items {', '.join(codes_needed)} "
                    f"with a certificate valid on {check_date}; {params.per_object} are needed"
                )
    if problems:
        raise NotEnoughInspectors("; ".join(sorted(set(problems))), problems=sorted(set(problems)))


async def execute(
    session: AsyncSession,
    draw_id: uuid.UUID,
    data: DrawExecute,
    *,
    scope: DataScope,
    settings: RandomCheckSettings,
) -> RcDraw:
    """Draw objects and inspectors, record inputs and outputs in the ledger, create the tasks, reveal the seed."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EXECUTION_LOCK})
    draw = await get(session, draw_id, scope)
    await session.refresh(draw, with_for_update=True)
    plan = await plan_service.get(session, draw.plan_id, scope)
    scope.check_write(region_code=plan.region_code, department_id=plan.department_id)
    if draw.status != DrawStatus.COMMITTED.value:
        raise IllegalState("this draw has already run; verify it instead")
    if plan.status != PlanStatus.ACTIVE.value:
        raise IllegalState("the plan is closed")
    participants = await plan_service.participants(session, plan.id)
    names = await plan_service.department_names(session, [p.department_id for p in participants])
    pools = await department_pools(session, participants, draw.check_date)
    pop = await read_population(session, plan, pools, draw.check_date, settings)
    params = algorithm.Params(
        draw_id=str(draw.id),
        plan_id=str(plan.id),
        check_date=draw.check_date.isoformat(),
        per_object=plan.inspectors_per_object,
        strata=tuple(pop.strata),
        kinds=tuple(pop.kinds),
        departments=tuple(
            algorithm.Department(
                str(pool.department_id),
                tuple(algorithm.Item(i.code, tuple(i.object_types)) for i in pool.items),
                tuple(pool.inspectors),
            )
            for pool in pools
        ),
    )
    _check_pools(params, pop.population, draw.check_date, names)

    seed = draw.sealed_seed
    effective = algorithm.effective_seed(seed, data.public_entropy)
    population_blob = pop.population.encode()
    in_hash = algorithm.inputs_hash(params, population_blob)
    picks = await asyncio.to_thread(algorithm.sample, effective, params, pop.population, in_hash)
    picked_ids = b"".join(p.object_id for p in picks)
    pooled = {bytes.fromhex(p.id.replace("-", "")) for d in params.departments for p in d.inspectors}
    pairs, avoid_counts = await avoidance_pairs(session, picked_ids, pooled)
    avoidance_blob = algorithm.encode_avoidance(pairs)
    avoid_hash = algorithm.sha256_hex(avoidance_blob)
    assignment = await asyncio.to_thread(algorithm.assign, effective, params, picks, in_hash, avoid_hash, pairs)
    outputs = algorithm.encode_outputs(picks, assignment, params.per_object)
    outputs_hash = algorithm.sha256_hex(outputs)

    filled = (assignment.inspectors >= 0).sum(axis=1)
    understaffed = int((filled < params.per_object).sum())
    sampled = {s.key: 0 for s in params.strata}
    for p in picks:
        sampled[params.strata[p.stratum].key] += 1
    summary: dict[str, Any] = {
        "population": pop.eligible,
        "excluded": pop.excluded,
        "strata": [
            {
                "key": s.key,
                "ratio": s.ratio,
                "size": s.size,
                "quota": algorithm.quota(s.ratio, s.size),
                "drawn": sampled[s.key],
            }
            for s in params.strata
        ],
        "visits": len(picks),
        "tasks": len(assignment),
        "joint_visits": int(np.count_nonzero(np.bincount(assignment.visit, minlength=len(picks)) > 1))
        if len(picks)
        else 0,
        "understaffed": understaffed,
        "avoidance": avoid_counts,
        "departments": [{"department_id": str(p.department_id), "inspectors": len(p.inspectors)} for p in pools],
    }
    await ledger.append(
        session,
        draw.id,
        LedgerEntry.INPUTS,
        {
            "params": params.as_json(),
            "inputs_hash": in_hash,
            "excluded": pop.excluded,
            "public_entropy": data.public_entropy,
        },
        population_blob,
    )
    await ledger.append(
        session, draw.id, LedgerEntry.AVOIDANCE, {"avoidance_hash": avoid_hash, **avoid_counts}, avoidance_blob
    )
    await ledger.append(
        session,
        draw.id,
        LedgerEntry.OUTPUTS,
        {"outputs_hash": outputs_hash, "visits": len(picks), "tasks": len(assignment), "understaffed": understaffed},
        outputs,
    )
    await ledger.append(session, draw.id, LedgerEntry.REVEAL, {"seed": seed.hex(), "seed_hash": draw.seed_hash})

    await _create_tasks(session, draw, plan, params, picks, assignment, pop.regions, settings)
    now = utc_now()
    draw.status = DrawStatus.REVEALED
    draw.seed = seed.hex()
    draw.public_entropy = data.public_entropy
    draw.inputs_hash = in_hash
    draw.outputs_hash = outputs_hash
    draw.summary = summary
    draw.drawn_at = now
    draw.drawn_by = actor(scope)
    await outbox.stage(
        session,
        DrawCompleted.build(
            source=SOURCE,
            subject=str(plan.id),
            data=DrawCompletedData(
                draw_id=draw.id,
                plan_id=plan.id,
                plan_name=plan.name,
                year=plan.year,
                joint=plan.kind == PlanKind.JOINT.value,
                department_ids=[p.department_id for p in participants],
                region_code=plan.region_code,
                check_date=draw.check_date,
                algorithm=draw.algorithm,
                seed_hash=draw.seed_hash,
                seed=draw.seed,
                inputs_hash=in_hash,
                outputs_hash=outputs_hash,
                population=pop.eligible,
                visits=len(picks),
                tasks=len(assignment),
                completed_at=now,
            ),
        ),
    )
    await session.flush()
    return draw


_INSERT_VISITS = """
INSERT INTO rc_visits (id, draw_id, plan_id, ordinal, object_id, stratum, region_code, department_ids, check_date, joint)
SELECT CAST(:visit_prefix || lpad(to_hex(u.ordinal), 15, '0') AS uuid), :draw, :plan, u.ordinal,
       CAST(encode(substring(CAST(:objects AS bytea) FROM u.ordinal * 16 + 1 FOR 16), 'hex') AS uuid),
       (CAST(:strata AS text[]))[u.stratum + 1],
       convert_from(substring(CAST(:regions AS bytea) FROM u.ordinal * 6 + 1 FOR 6), 'UTF8'),
       ARRAY(SELECT x.d FROM unnest(CAST(:departments AS uuid[])) WITH ORDINALITY AS x(d, i)
             WHERE (u.mask >> CAST(x.i - 1 AS int)) & 1 = 1 ORDER BY x.i),
       :check_date, (u.mask & (u.mask - 1)) <> 0
FROM (
    SELECT CAST(s.n - 1 AS int) AS ordinal, s.stratum, s.mask
    FROM unnest(CAST(:strata_of AS int[]), CAST(:masks AS bigint[])) WITH ORDINALITY AS s(stratum, mask, n)
) AS u
"""

# Tasks refer to their visit by id (the same prefix + ordinal), so no join is needed.
_INSERT_TASKS = """
INSERT INTO rc_tasks (id, visit_id, draw_id, plan_id, department_id, object_id, region_code, item_codes,
                      inspector_ids, status, check_date, due_date)
SELECT CAST(:task_prefix || lpad(to_hex(u.n - 1), 15, '0') AS uuid),
       CAST(:visit_prefix || lpad(to_hex(u.ordinal), 15, '0') AS uuid), :draw, :plan,
       (CAST(:departments AS uuid[]))[u.department + 1],
       CAST(encode(substring(CAST(:objects AS bytea) FROM u.ordinal * 16 + 1 FOR 16), 'hex') AS uuid),
       convert_from(substring(CAST(:regions AS bytea) FROM u.ordinal * 6 + 1 FOR 6), 'UTF8'),
       string_to_array((CAST(:item_sets AS text[]))[u.item_set + 1], ','),
       u.inspectors,
       CASE WHEN cardinality(u.inspectors) = :per_object THEN 'assigned' ELSE 'understaffed' END,
       :check_date, :due_date
FROM (
    SELECT t.ordinal, t.department, t.item_set, t.n,
           array_remove(ARRAY[{slots}], NULL) AS inspectors
    FROM unnest(CAST(:ordinals AS int[]), CAST(:task_departments AS int[]), CAST(:task_items AS int[]){slot_arrays})
         WITH ORDINALITY AS t(ordinal, department, item_set{slot_names}, n)
) AS u
"""


def _id_prefix() -> str:
    """17 hex digits shared by a draw's visit (or task) ids; the ordinal fills the rest, so a draw's rows are
    adjacent in the primary key and inserting them touches few index pages. Random 60 bits apart from the UUID
    version (4) and variant (8) digits."""
    raw = secrets.token_hex(8)
    return raw[:12] + "4" + raw[13:16] + "8"


async def _create_tasks(
    session: AsyncSession,
    draw: RcDraw,
    plan: RcPlan,
    params: algorithm.Params,
    picks: list[algorithm.Pick],
    assignment: algorithm.Assignment,
    regions: list[np.ndarray],
    settings: RandomCheckSettings,
) -> None:
    """One visit per drawn object and one task per participating department, in two set-based statements.

    Everything is passed as arrays of small integers (indexes into the departments, item sets and the
    pooled inspectors) built with numpy, and turned into rows inside PostgreSQL.
    """
    if not picks:
        return
    per_object = params.per_object
    departments = [d.id for d in params.departments]
    pooled = [p.id for d in params.departments for p in d.inspectors]
    offsets = np.cumsum([0] + [len(d.inspectors) for d in params.departments])[:-1]
    set_names: list[str] = []
    pairs = np.stack([assignment.department, assignment.items_mask], axis=1)
    unique_pairs, task_items = np.unique(pairs, axis=0, return_inverse=True)
    for d, mask in unique_pairs.tolist():
        set_names.append(",".join(i.code for b, i in enumerate(params.departments[d].items) if mask >> b & 1))
    masks = np.zeros(len(picks), dtype=np.int64)
    np.bitwise_or.at(masks, assignment.visit, np.left_shift(1, assignment.department))
    chosen = assignment.inspectors
    slots = np.where(chosen >= 0, chosen + offsets[assignment.department][:, None] + 1, 0)
    due = settings.calendar().add_workdays(draw.check_date, plan.task_deadline_workdays)
    region_blob = b"".join(regions[p.stratum][p.position] for p in picks)
    common = {
        "draw": draw.id,
        "plan": plan.id,
        "check_date": draw.check_date,
        "departments": departments,
        "visit_prefix": _id_prefix(),
        "objects": b"".join(p.object_id for p in picks),
        "regions": region_blob,
    }
    await session.execute(
        text(_INSERT_VISITS),
        {
            **common,
            "strata": [s.key for s in params.strata],
            "strata_of": [p.stratum for p in picks],
            "masks": masks.tolist(),
        },
    )
    slot_params = {f"slot{j}": slots[:, j].tolist() for j in range(per_object)}
    sql = _INSERT_TASKS.format(
        slots=", ".join(f"(CAST(:pooled AS uuid[]))[t.s{j}]" for j in range(per_object)),
        slot_arrays="".join(f", CAST(:slot{j} AS int[])" for j in range(per_object)),
        slot_names="".join(f", s{j}" for j in range(per_object)),
    )
    await session.execute(
        text(sql),
        {
            **common,
            "task_prefix": _id_prefix(),
            "due_date": due,
            "per_object": per_object,
            "pooled": pooled,
            "item_sets": set_names,
            "ordinals": assignment.visit.tolist(),
            "task_departments": assignment.department.tolist(),
            "task_items": task_items.ravel().tolist(),
            **slot_params,
        },
    )


async def verify(session: AsyncSession, draw: RcDraw, *, check_tasks: bool) -> Verification:
    """Re-run the draw from its revealed seed over the recorded inputs and compare everything."""
    entries = await ledger.entries(session, draw.id)
    chain = await ledger.verify_chain(session, draw.id)
    base: dict[str, Any] = {
        "draw_id": draw.id,
        "algorithm": draw.algorithm,
        "seed_hash": draw.seed_hash,
        "seed": draw.seed,
        "ledger_intact": chain.intact,
    }
    reveal = entries.get(LedgerEntry.REVEAL.value)
    if reveal is None:
        return Verification(
            **base,
            verified=False,
            seed_matches_hash=False,
            inputs_hash_recorded=None,
            inputs_hash_recomputed=None,
            inputs_match=False,
            outputs_hash_recorded=None,
            outputs_hash_recomputed=None,
            outputs_identical=False,
            visits=0,
            tasks=0,
            detail="the draw has not run yet: only its seed hash is published",
        )
    commitment = entries[LedgerEntry.COMMITMENT.value]
    inputs = entries[LedgerEntry.INPUTS.value]
    avoidance = entries[LedgerEntry.AVOIDANCE.value]
    outputs = entries[LedgerEntry.OUTPUTS.value]
    seed = bytes.fromhex(reveal.body["seed"])
    seed_ok = hashlib.sha256(seed).hexdigest() == commitment.body["seed_hash"] == draw.seed_hash
    params = algorithm.Params.from_json(inputs.body["params"])
    result = await asyncio.to_thread(
        algorithm.run,
        seed,
        params,
        inputs.blob or b"",
        avoidance.blob or b"",
        public_entropy=inputs.body.get("public_entropy"),
    )
    inputs_ok = result.inputs_hash == inputs.body["inputs_hash"] == draw.inputs_hash
    outputs_ok = (
        result.outputs_hash == outputs.body["outputs_hash"] == draw.outputs_hash and result.outputs == outputs.blob
    )
    tasks_ok = await _tasks_match(session, draw, params, outputs.blob or b"") if check_tasks else None
    verified = bool(seed_ok and inputs_ok and outputs_ok and chain.intact and tasks_ok is not False)
    failed = [
        name
        for name, ok in (
            ("seed does not match its published hash", seed_ok),
            ("inputs hash differs", inputs_ok),
            ("outputs differ", outputs_ok),
            ("ledger chain broken", chain.intact),
            ("tasks differ from the recorded outputs", tasks_ok is not False),
        )
        if not ok
    ]
    return Verification(
        **base,
        verified=verified,
        seed_matches_hash=seed_ok,
        inputs_hash_recorded=inputs.body["inputs_hash"],
        inputs_hash_recomputed=result.inputs_hash,
        inputs_match=inputs_ok,
        outputs_hash_recorded=outputs.body["outputs_hash"],
        outputs_hash_recomputed=result.outputs_hash,
        outputs_identical=outputs_ok,
        tasks_match_outputs=tasks_ok,
        visits=len(result.picks),
        tasks=len(result.assignment),
        detail="re-run from the revealed seed gives byte-identical outputs" if verified else "; ".join(failed),
    )


async def _tasks_match(session: AsyncSession, draw: RcDraw, params: algorithm.Params, blob: bytes) -> bool:
    """The visits and tasks in force carry exactly the recorded objects, departments and inspectors."""
    visits, tasks = algorithm.decode_outputs(blob)
    rows = (
        await session.execute(
            text(
                "SELECT v.ordinal, uuid_send(v.object_id) AS object_id, CAST(t.department_id AS text) AS department, "
                "CAST(t.inspector_ids AS text[]) AS inspectors FROM rc_visits v JOIN rc_tasks t ON t.visit_id = v.id "
                "WHERE v.draw_id = :draw ORDER BY v.ordinal"
            ),
            {"draw": draw.id},
        )
    ).all()
    if len(rows) != len(tasks):
        return False
    dept_index = {d.id: i for i, d in enumerate(params.departments)}
    inspector_index = [{p.id: i for i, p in enumerate(d.inspectors)} for d in params.departments]
    objects = visits["object_id"]
    actual = sorted(
        (
            row.ordinal,
            dept_index.get(row.department, -1),
            sorted(inspector_index[dept_index[row.department]].get(i, -2) for i in row.inspectors)
            if row.department in dept_index
            else [],
            bytes(row.object_id),
        )
        for row in rows
    )
    expected = sorted(
        (
            int(t["visit"]),
            int(t["department"]),
            sorted(int(i) for i in t["inspectors"] if i >= 0),
            objects[int(t["visit"])].tobytes(),
        )
        for t in tasks
    )
    return actual == expected
