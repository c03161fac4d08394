"""HTTP interface of grading: grades and their history, schemes, recomputes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Select, func, select, text

from credit_svc.access import CreditAdmin
from credit_svc.audit.service import ActorDep
from credit_svc.grading import schemes as scheme_service
from credit_svc.grading.indicators import FEATURES
from credit_svc.grading.models import CreditGrade, GradeHistory, GradeTrigger, GradingScheme, SchemeStatus
from credit_svc.grading.schemas import (
    ActivateIn,
    ClassCount,
    Distribution,
    FeatureInfo,
    GradeRead,
    HistoryRead,
    SchemeCreate,
    SchemeRead,
)
from credit_svc.grading.service import bump_inputs, regrade
from credit_svc.jobs.models import JobKind
from credit_svc.jobs.schemas import JobRead
from credit_svc.jobs.service import enqueue
from credit_svc.lists.rules import sync_auto_lists
from credit_svc.objects.models import CreditObject, ObjectStatus
from credit_svc.overrides.models import GradeOverride
from credit_svc.overrides.service import override_read
from credit_svc.records.models import RECORD_FOR_LIST, CreditRecord, RecordStatus
from supervision_schemas.credit import CreditListType
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.problems import NotFound
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(tags=["grades"])
schemes_router = APIRouter(prefix="/schemes", tags=["schemes"])
SORTABLE = {
    "score": CreditGrade.score,
    "risk_class": CreditGrade.class_rank,
    "graded_at": CreditGrade.graded_at,
    "name": CreditObject.name,
}
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope"},
    404: {"description": "Not found"},
}


def _scoped(scope: DataScope, statement: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    return scope.filter(statement, region=CreditObject.region_code, department=CreditObject.department_id)


async def _schemes(session: SessionDep, ids: set[uuid.UUID]) -> dict[uuid.UUID, GradingScheme]:
    if not ids:
        return {}
    return {s.id: s for s in (await session.scalars(select(GradingScheme).where(GradingScheme.id.in_(ids)))).all()}


@dataclass(frozen=True)
class Explanation:
    """The history entry a grade points to, and the contributions of the entry before it (same scheme)."""

    contributions: list[float]
    feature_values: list[float]
    previous: list[float] | None


async def explanations(session: SessionDep, grades: Sequence[CreditGrade]) -> dict[int, Explanation]:
    ids = [g.history_id for g in grades if g.history_id is not None]
    if not ids:
        return {}
    rows = await session.execute(
        text(
            """
            SELECT h.id, h.contributions, h.feature_values,
                   CASE WHEN p.scheme_id = h.scheme_id THEN p.contributions END
            FROM credit_grade_history h
            LEFT JOIN LATERAL (SELECT x.scheme_id, x.contributions FROM credit_grade_history x
                               WHERE x.object_id = h.object_id AND x.id < h.id ORDER BY x.id DESC LIMIT 1) p ON TRUE
            WHERE h.id = ANY(CAST(:ids AS bigint[]))
            """
        ),
        {"ids": ids},
    )
    return {r[0]: Explanation(list(r[1]), list(r[2]), list(r[3]) if r[3] is not None else None) for r in rows.all()}


def grade_read(
    grade: CreditGrade,
    obj: CreditObject,
    scheme: GradingScheme | None,
    explanation: Explanation | None,
    override: GradeOverride | None = None,
) -> GradeRead:
    contributions = explanation.contributions if explanation else None
    values = explanation.feature_values if explanation else None
    return GradeRead(
        object_id=grade.object_id,
        uscc=obj.uscc,
        name=obj.name,
        kind=obj.kind,
        region_code=obj.region_code,
        department_id=obj.department_id,
        industry_code=obj.industry_code,
        risk_class=grade.risk_class,
        class_meaning=scheme_service.class_meaning(scheme, grade.risk_class),
        score=grade.score,
        rule_score=grade.rule_score,
        model_score=grade.model_score,
        base_score=scheme.base_score if scheme else None,
        scheme_key=grade.scheme_key,
        scheme_version=grade.scheme_version,
        automatic_class=grade.automatic_class,
        override=override_read(override) if override is not None else None,
        previous_class=grade.previous_class,
        previous_score=grade.previous_score,
        factors=scheme_service.factors(scheme, contributions, values),
        moved_by=scheme_service.moved_by(scheme, contributions, explanation.previous if explanation else None, values),
        trigger=grade.trigger,
        trigger_ref=grade.trigger_ref,
        graded_at=grade.graded_at,
    )


async def grade_reads(session: SessionDep, rows: Sequence[tuple[CreditGrade, CreditObject]]) -> list[GradeRead]:
    """API views of grades with their schemes and explanations (three queries for a whole page)."""
    schemes = await _schemes(session, {g.scheme_id for g, _ in rows})
    found = await explanations(session, [g for g, _ in rows])
    override_ids = {g.override_id for g, _ in rows if g.override_id is not None}
    overrides = (
        {o.id: o for o in (await session.scalars(select(GradeOverride).where(GradeOverride.id.in_(override_ids))))}
        if override_ids
        else {}
    )
    return [
        grade_read(
            g,
            o,
            schemes.get(g.scheme_id),
            found.get(g.history_id) if g.history_id else None,
            overrides.get(g.override_id) if g.override_id else None,
        )
        for g, o in rows
    ]


@router.get("/grades", response_model=Page[GradeRead])
async def list_grades(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    risk_class: Annotated[str | None, Query(pattern=r"^[A-Z][A-Z0-9]?$", description="Only this class.")] = None,
    region_code: Annotated[
        str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix (34, 3416, 341602).")
    ] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Only objects this department supervises.")] = None,
    uscc: Annotated[str | None, Query(min_length=18, max_length=18, description="Unified social credit code.")] = None,
    object_id: Annotated[uuid.UUID | None, Query(description="One object.")] = None,
    list_type: Annotated[
        CreditListType | None, Query(description="Only objects with an entry on this kind of list.")
    ] = None,
    list_id: Annotated[uuid.UUID | None, Query(description="Only objects on this department list.")] = None,
    scheme_key: Annotated[str | None, Query(max_length=64, description="Only grades of this scheme.")] = None,
    min_score: Annotated[float | None, Query(description="Score at least.")] = None,
    max_score: Annotated[float | None, Query(description="Score at most.")] = None,
    sort: Annotated[
        str | None, Query(description="score, risk_class, graded_at or name; `-` for descending (default -graded_at).")
    ] = None,
) -> Page[GradeRead]:
    """List grades within your data scope, filtered by class, region, department, USCC or list."""
    statement = _scoped(
        scope, select(CreditGrade, CreditObject).join(CreditObject, CreditObject.object_id == CreditGrade.object_id)
    ).where(CreditObject.status == ObjectStatus.ACTIVE)
    if risk_class:
        statement = statement.where(CreditGrade.risk_class == risk_class)
    if region_code:
        statement = statement.where(CreditObject.region_code.startswith(region_code))
    if department_id:
        statement = statement.where(CreditObject.department_id == department_id)
    if uscc:
        statement = statement.where(CreditObject.uscc == uscc.upper())
    if object_id:
        statement = statement.where(CreditGrade.object_id == object_id)
    if scheme_key:
        statement = statement.where(CreditGrade.scheme_key == scheme_key)
    if min_score is not None:
        statement = statement.where(CreditGrade.score >= min_score)
    if max_score is not None:
        statement = statement.where(CreditGrade.score <= max_score)
    if list_type is not None or list_id is not None:
        entries = select(CreditRecord.id).where(
            CreditRecord.object_id == CreditGrade.object_id, CreditRecord.status == RecordStatus.ACTIVE
        )
        if list_type is not None:
            entries = entries.where(CreditRecord.record_type == RECORD_FOR_LIST[list_type])
        if list_id is not None:
            entries = entries.where(CreditRecord.list_id == list_id)
        statement = statement.where(entries.exists())
    statement = statement.order_by(*order_by(sort, SORTABLE, "-graded_at"), CreditGrade.object_id)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.execute(statement.offset(pagination.offset).limit(pagination.limit))).all()
    return Page(
        items=await grade_reads(session, [(g, o) for g, o in rows]),
        total=int(total or 0),
        page=pagination.page,
        limit=pagination.limit,
    )


@router.get("/grades/distribution", response_model=Distribution)
async def grade_distribution(
    session: SessionDep,
    scope: DataScopeDep,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    department_id: Annotated[uuid.UUID | None, Query(description="Only objects this department supervises.")] = None,
) -> Distribution:
    """Count objects per class within your data scope."""
    base = _scoped(scope, select(CreditObject.object_id)).where(CreditObject.status == ObjectStatus.ACTIVE)
    if region_code:
        base = base.where(CreditObject.region_code.startswith(region_code))
    if department_id:
        base = base.where(CreditObject.department_id == department_id)
    objects = base.subquery()
    rows = (
        await session.execute(
            select(CreditGrade.risk_class, func.min(CreditGrade.class_rank), func.count())
            .join(objects, objects.c.object_id == CreditGrade.object_id)
            .group_by(CreditGrade.risk_class)
        )
    ).all()
    everyone = int(await session.scalar(select(func.count()).select_from(objects)) or 0)
    graded = sum(int(r[2]) for r in rows)
    return Distribution(
        total=graded,
        classes=[
            ClassCount(risk_class=r[0], objects=int(r[2]), share=round(int(r[2]) / graded, 4) if graded else 0.0)
            for r in sorted(rows, key=lambda r: (r[1], r[0]))
        ],
        ungraded=everyone - graded,
    )


async def _object_in_scope(session: SessionDep, scope: DataScope, object_id: uuid.UUID) -> CreditObject:
    obj = await session.get(CreditObject, object_id)
    if obj is None:
        raise NotFound(f"object {object_id} is not in the credit view")
    scope.check_read(region_code=obj.region_code, department_id=obj.department_id)
    return obj


@router.get("/grades/{object_id}", response_model=GradeRead, responses=ERRORS)
async def get_grade(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> GradeRead:
    """Get an object's grade: score, class, the factors behind it and what moved it last."""
    obj = await _object_in_scope(session, scope, object_id)
    grade = await session.get(CreditGrade, object_id)
    if grade is None:
        raise NotFound(f"object {object_id} has no grade (merged, or no active scheme covers its region)")
    [read] = await grade_reads(session, [(grade, obj)])
    return read


@router.get("/grades/{object_id}/history", response_model=Page[HistoryRead], responses=ERRORS)
async def grade_history(
    object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep, pagination: PaginationDep
) -> Page[HistoryRead]:
    """List the changes of an object's grade, newest first."""
    await _object_in_scope(session, scope, object_id)
    statement = select(GradeHistory).where(GradeHistory.object_id == object_id).order_by(GradeHistory.id.desc())
    rows, total = await paginate(session, statement, pagination)
    schemes = await _schemes(session, {h.scheme_id for h in rows})
    return Page(
        items=[
            HistoryRead(
                id=h.id,
                object_id=h.object_id,
                scheme_key=h.scheme_key,
                scheme_version=h.scheme_version,
                score=h.score,
                rule_score=h.rule_score,
                model_score=h.model_score,
                risk_class=h.risk_class,
                previous_class=h.previous_class,
                previous_score=h.previous_score,
                automatic_class=h.automatic_class,
                override_id=h.override_id,
                factors=scheme_service.factors(schemes.get(h.scheme_id), h.contributions, h.feature_values),
                trigger=h.trigger,
                trigger_ref=h.trigger_ref,
                graded_at=h.graded_at,
            )
            for h in rows
        ],
        total=total,
        page=pagination.page,
        limit=pagination.limit,
    )


@router.post("/grades/{object_id}/regrade", response_model=GradeRead, responses=ERRORS)
async def regrade_object(object_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> GradeRead:
    """Regrade one object now (after a scheme change, without waiting for a recompute)."""
    assert actor.scope is not None
    obj = await _object_in_scope(session, actor.scope, object_id)
    actor.scope.check_write(region_code=obj.region_code, department_id=obj.department_id)
    await bump_inputs(session, [object_id])
    changed = await regrade(session, [object_id], trigger=GradeTrigger.MANUAL, trigger_ref=actor.subject)
    if changed:
        await sync_auto_lists(session, [object_id])
    return await get_grade(object_id, session, actor.scope)


@router.post("/recomputes", status_code=202, response_model=JobRead, responses={409: {"description": "One is running"}})
async def start_recompute(session: SessionDep, actor: CreditAdmin) -> Any:
    """Start a full recompute of every grade in the background; follow it at /jobs/{id}."""
    job = await enqueue(session, actor, JobKind.RECOMPUTE, {})
    return JobRead.model_validate(job)


@schemes_router.get("", response_model=list[SchemeRead])
async def list_schemes(
    session: SessionDep,
    scope: DataScopeDep,
    status: Annotated[SchemeStatus | None, Query(description="Only schemes in this state.")] = None,
    key: Annotated[str | None, Query(max_length=64, description="Only versions of this scheme.")] = None,
) -> Any:
    """List scheme versions (the index systems), newest first."""
    statement = select(GradingScheme).order_by(GradingScheme.key, GradingScheme.version.desc())
    if status is not None:
        statement = statement.where(GradingScheme.status == status)
    if key:
        statement = statement.where(GradingScheme.key == key)
    return [SchemeRead.model_validate(s) for s in (await session.scalars(statement)).all()]


@schemes_router.get("/features", response_model=list[FeatureInfo])
async def list_features(scope: DataScopeDep) -> list[FeatureInfo]:
    """List the features indicators can read (the catalogue of the index system)."""
    return [
        FeatureInfo(name=f.name, category=f.category, windowed=f.windowed, unit=f.unit, description=f.description)
        for f in FEATURES.values()
    ]


@schemes_router.get("/{scheme_id}", response_model=SchemeRead, responses=ERRORS)
async def get_scheme(scheme_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """Get one scheme version with its indicators, rules, classes and forced classes."""
    return SchemeRead.model_validate(await scheme_service.get_scheme(session, scheme_id))


@schemes_router.post("", status_code=201, response_model=SchemeRead, responses={403: {"description": "Not an admin"}})
async def create_scheme(body: SchemeCreate, session: SessionDep, actor: CreditAdmin) -> Any:
    """Store a new version of a scheme as a draft (the key's next version number)."""
    return SchemeRead.model_validate(await scheme_service.create_scheme(session, actor, body))


@schemes_router.post("/{scheme_id}/activate", response_model=SchemeRead, responses=ERRORS)
async def activate_scheme(scheme_id: uuid.UUID, body: ActivateIn, session: SessionDep, actor: CreditAdmin) -> Any:
    """Activate a version for its region (retiring the one before); by default a full recompute follows."""
    row = await scheme_service.activate_scheme(session, actor, scheme_id)
    if body.recompute:
        await enqueue(session, actor, JobKind.RECOMPUTE, {"after_activation": str(row.id)})
    return SchemeRead.model_validate(row)


@schemes_router.post("/{scheme_id}/retire", response_model=SchemeRead, responses=ERRORS)
async def retire_scheme(scheme_id: uuid.UUID, session: SessionDep, actor: CreditAdmin) -> Any:
    """Retire a scheme version."""
    return SchemeRead.model_validate(await scheme_service.retire_scheme(session, actor, scheme_id))
