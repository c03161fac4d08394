"""HTTP interface of search across libraries and of the object profile."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import CompoundSelect, Select, func, literal, or_, select

from datahub_svc.access import sees_personal_data
from datahub_svc.behaviour.models import BehaviourRecord
from datahub_svc.behaviour.schemas import BehaviourRead
from datahub_svc.cleaning.standardise import search_query
from datahub_svc.complaints.endpoints import complaint_read
from datahub_svc.complaints.models import Complaint
from datahub_svc.credit.models import CreditRecord
from datahub_svc.credit.schemas import CreditRecordRead
from datahub_svc.knowledge.models import KnowledgeEntry
from datahub_svc.knowledge.schemas import KnowledgeSummary
from datahub_svc.objects import service as object_service
from datahub_svc.objects.endpoints import object_read
from datahub_svc.objects.models import ObjectMergeAudit, SupervisedObject
from datahub_svc.objects.schemas import MergeAuditRead
from datahub_svc.personnel.models import EnforcementOfficer
from datahub_svc.records import NATIONAL
from datahub_svc.risk_warnings.models import RiskWarning
from datahub_svc.search.schemas import (
    ComplaintSummary,
    CreditProfile,
    ObjectProfile,
    PenaltySummary,
    SearchHit,
    SearchOut,
    WarningRead,
)
from datahub_svc.sharing import service as sharing_service
from datahub_svc.thirdparty.models import ThirdPartyRecord
from datahub_svc.thirdparty.schemas import ThirdPartyRead
from supervision_schemas.datahub import BehaviourType, CreditClass, ObjectKind
from svc_runtime.db import SessionDep
from svc_runtime.problems import Problem
from svc_runtime.scope import DataScopeDep

router = APIRouter(tags=["search and profiles"])
FACET_WINDOW = 2000


class EmptyQuery(Problem):
    status = 400
    title = "Empty query"


@router.get("/search", response_model=SearchOut)
async def search(
    session: SessionDep,
    scope: DataScopeDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Words; Chinese is matched by bigrams.")],
    library: Annotated[
        Literal["all", "objects", "behaviour", "complaints", "personnel", "thirdparty", "knowledge"],
        Query(description="Which libraries to search."),
    ] = "all",
    kind: Annotated[ObjectKind | None, Query(description="Objects of this kind only.")] = None,
    record_type: Annotated[BehaviourType | None, Query(description="Behaviour records of this type only.")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix.")] = None,
    credit_class: Annotated[CreditClass | None, Query(description="Objects of this credit class only.")] = None,
    industry_code: Annotated[str | None, Query(max_length=10, description="Objects of this industry only.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Hits to return.")] = 20,
) -> Any:
    """Search the libraries (objects, behaviour, complaints, personnel, third-party, knowledge) in your scope."""
    tsquery = search_query(q)
    if tsquery is None:
        raise EmptyQuery("the query has no searchable word")
    query = func.to_tsquery("simple", tsquery)
    hits: list[SearchHit] = []
    facets: dict[str, Counter[str]] = {"library": Counter(), "kind": Counter(), "region": Counter()}
    facets["credit_class"] = Counter()
    exact = True
    total = 0
    if library in ("all", "objects") and record_type is None:
        o = SupervisedObject
        window = (
            scope.filter(
                select(
                    o.id,
                    o.name,
                    o.uscc,
                    o.code,
                    o.kind,
                    o.region_code,
                    o.credit_class,
                    func.ts_rank(o.search_vector, query).label("rank"),
                ),
                region=o.region_code,
                department=o.department_id,
            )
            .where(o.search_vector.op("@@")(query), o.status == "active")
            .limit(FACET_WINDOW + 1)
        )
        if kind is not None:
            window = window.where(o.kind == kind.value)
        if region_code:
            window = window.where(o.region_code.startswith(region_code))
        if credit_class is not None:
            window = window.where(o.credit_class == credit_class.value)
        if industry_code:
            window = window.where(o.industry_code == industry_code.upper())
        rows = (await session.execute(window)).all()
        exact = exact and len(rows) <= FACET_WINDOW
        rows = rows[:FACET_WINDOW]
        total += len(rows)
        facets["library"]["objects"] += len(rows)
        for r in rows:
            facets["kind"][r.kind] += 1
            facets["region"][r.region_code[:4] + "00"] += 1
            facets["credit_class"][r.credit_class or "none"] += 1
        hits.extend(
            SearchHit(
                library="objects",
                id=r.id,
                title=r.name,
                code=r.uscc or r.code,
                kind=r.kind,
                region_code=r.region_code,
                rank=r.rank,
            )
            for r in rows
        )
    if library in ("all", "behaviour") and kind is None and credit_class is None and industry_code is None:
        b = BehaviourRecord
        window = (
            scope.filter(
                select(
                    b.id,
                    b.object_name,
                    b.record_code,
                    b.record_type,
                    b.region_code,
                    func.ts_rank(b.search_vector, query).label("rank"),
                ),
                region=b.region_code,
                department=b.department_id,
            )
            .where(b.search_vector.op("@@")(query))
            .limit(FACET_WINDOW + 1)
        )
        if record_type is not None:
            window = window.where(b.record_type == record_type.value)
        if region_code:
            window = window.where(b.region_code.startswith(region_code))
        rows = (await session.execute(window)).all()
        exact = exact and len(rows) <= FACET_WINDOW
        rows = rows[:FACET_WINDOW]
        total += len(rows)
        facets["library"]["behaviour"] += len(rows)
        for r in rows:
            facets["kind"][r.record_type] += 1
            facets["region"][r.region_code[:4] + "00"] += 1
        hits.extend(
            SearchHit(
                library="behaviour",
                id=r.id,
                title=r.object_name,
                code=r.record_code,
                kind=r.record_type,
                region_code=r.region_code,
                rank=r.rank,
            )
            for r in rows
        )
    only_objects = kind is not None or credit_class is not None or industry_code is not None or record_type is not None
    for name, spec in OTHER_LIBRARIES.items():
        if library not in ("all", name) or only_objects:
            continue
        model = spec["model"]
        columns = [
            model.id,
            spec["title"].label("title"),
            spec["code"].label("code"),
            spec["kind"].label("kind"),
            model.region_code,
            func.ts_rank(model.search_vector, query).label("rank"),
        ]
        statement = select(*columns).where(model.search_vector.op("@@")(query))
        if spec.get("national"):
            if not scope.unrestricted:
                statement = statement.where(
                    (model.region_code == NATIONAL) | model.region_code.startswith(scope.prefix)
                )
        else:
            statement = scope.filter(statement, region=model.region_code, department=spec.get("department"))
        if region_code:
            statement = statement.where(model.region_code.startswith(region_code))
        rows = (await session.execute(statement.limit(FACET_WINDOW + 1))).all()
        exact = exact and len(rows) <= FACET_WINDOW
        rows = rows[:FACET_WINDOW]
        total += len(rows)
        facets["library"][name] += len(rows)
        for r in rows:
            facets["kind"][r.kind] += 1
            facets["region"][r.region_code[:4] + "00"] += 1
        hits.extend(
            SearchHit(
                library=name, id=r.id, title=r.title, code=r.code, kind=r.kind, region_code=r.region_code, rank=r.rank
            )
            for r in rows
        )
    hits.sort(key=lambda h: h.rank, reverse=True)
    return SearchOut(
        query=tsquery,
        total=total,
        total_is_exact=exact,
        facet_window=FACET_WINDOW,
        hits=hits[:limit],
        facets={name: {k: v for k, v in counter.most_common(50) if v} for name, counter in facets.items() if +counter},
    )


@router.get(
    "/objects/{object_id}/profile",
    response_model=ObjectProfile,
    responses={403: {"description": "Outside your data scope"}, 404: {"description": "Not in the library"}},
)
async def profile(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """The profile of one object: basic data, behaviour, penalties, complaints, credit, warnings, third-party data."""
    obj = await object_service.get_object(session, object_id)
    scope.check_read(region_code=obj.region_code, department_id=obj.department_id)
    ids = [obj.id, *(await session.scalars(select(SupervisedObject.id).where(SupervisedObject.merged_into == obj.id)))]
    uscc = obj.uscc

    def of_object(model: Any, object_column: Any, uscc_column: Any) -> Any:
        """Rows linked to the object (or its merged duplicates), plus unlinked rows naming its credit code."""
        linked: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]
        linked = select(model.id).where(object_column.in_(ids))
        if uscc:
            linked = linked.union_all(select(model.id).where(uscc_column == uscc, object_column.is_(None)))
        return model.id.in_(linked)

    b = BehaviourRecord
    acts = (
        await session.scalars(
            scope.filter(select(b), region=b.region_code)
            .where(of_object(b, b.object_id, b.object_uscc))
            .order_by(b.acted_on.desc(), b.id)
            .limit(200)
        )
    ).all()
    by_type: dict[str, list[BehaviourRead]] = {t.value: [] for t in BehaviourType}
    for act in acts:
        by_type[act.record_type].append(BehaviourRead.model_validate(act))
    fines = sum((a.penalty_amount or Decimal(0) for a in acts if a.record_type == BehaviourType.PENALTY), Decimal(0))
    c = Complaint
    complaints = (
        await session.scalars(
            scope.filter(select(c), region=c.region_code, department=c.department_id)
            .where(of_object(c, c.object_id, c.target_uscc))
            .order_by(c.received_at.desc(), c.id)
            .limit(100)
        )
    ).all()
    r = CreditRecord
    credit = (
        await session.scalars(
            scope.filter(select(r), region=r.region_code)
            .where(of_object(r, r.object_id, r.uscc))
            .order_by(r.occurred_at.desc(), r.id)
            .limit(200)
        )
    ).all()
    w = RiskWarning
    warnings = (
        await session.scalars(
            scope.filter(select(w), region=w.region_code)
            .where(of_object(w, w.object_id, w.uscc))
            .order_by(w.raised_at.desc(), w.id)
            .limit(50)
        )
    ).all()
    t = ThirdPartyRecord
    observations = (
        await session.scalars(
            scope.filter(select(t), region=t.region_code)
            .where(of_object(t, t.object_id, t.uscc))
            .order_by(t.observed_at.desc(), t.id)
            .limit(50)
        )
    ).all()
    item_codes = sorted({a.item_code for a in acts})
    knowledge: list[Any] = []
    if item_codes:
        k = KnowledgeEntry
        visible = k.region_code == NATIONAL
        if not scope.unrestricted:
            visible = visible | k.region_code.startswith(scope.prefix)
        else:
            visible = literal(True)
        knowledge = list(
            (
                await session.scalars(
                    select(k).where(k.item_codes.overlap(item_codes), visible).order_by(k.entry_type, k.id).limit(20)
                )
            ).all()
        )
    related: list[Any] = []
    if uscc:
        related = list(
            (
                await session.scalars(
                    scope.filter(
                        select(SupervisedObject),
                        region=SupervisedObject.region_code,
                        department=SupervisedObject.department_id,
                    )
                    .where(SupervisedObject.owner_uscc == uscc, SupervisedObject.status == "active")
                    .limit(100)
                )
            ).all()
        )
    history = (
        await session.scalars(
            select(ObjectMergeAudit)
            .where(or_(ObjectMergeAudit.surviving_object_id == obj.id, ObjectMergeAudit.merged_object_id == obj.id))
            .order_by(ObjectMergeAudit.at)
        )
    ).all()
    grades = [x for x in credit if x.record_type == "grade"]
    entries = [x for x in credit if x.record_type == "list_entry"]
    today = date.today()
    on_lists = sorted(
        {
            e.list_type
            for e in entries
            if e.list_type and e.action == "added" and (e.effective_until is None or e.effective_until >= today)
        }
    )
    await sharing_service.log_access(
        session,
        scope,
        action="profile",
        dataset="objects",
        records=1,
        masked=not sees_personal_data(scope),
        record_ref=str(obj.id),
    )
    libraries = {
        "behaviour": acts,
        "complaints": complaints,
        "credit": credit,
        "risk warnings": warnings,
        "third-party": observations,
        "knowledge": knowledge,
    }
    return ObjectProfile(
        object=object_read(obj, scope),
        inspections=by_type[BehaviourType.INSPECTION],
        penalties=by_type[BehaviourType.PENALTY],
        enforcement_measures=by_type[BehaviourType.ENFORCEMENT_MEASURE],
        other_acts=by_type[BehaviourType.OTHER],
        penalty_summary=PenaltySummary(count=len(by_type[BehaviourType.PENALTY]), total_fines=fines),
        complaints=[complaint_read(x, scope) for x in complaints],
        complaint_summary=ComplaintSummary(
            count=len(complaints),
            open=sum(1 for x in complaints if x.status not in CLOSED_STATUSES),
            reports=sum(1 for x in complaints if x.kind == "report"),
        ),
        credit=CreditProfile(
            grades=[CreditRecordRead.model_validate(x) for x in grades],
            list_entries=[CreditRecordRead.model_validate(x) for x in entries],
            on_lists=on_lists,
        ),
        warnings=[WarningRead.model_validate(x) for x in warnings],
        thirdparty=[ThirdPartyRead.model_validate(x) for x in observations],
        knowledge=[KnowledgeSummary.model_validate(x) for x in knowledge],
        related_objects=[object_read(x, scope) for x in related],
        merge_history=[MergeAuditRead.model_validate(h) for h in history],
        libraries_without_data=[name for name, rows in libraries.items() if not rows],
    )


OTHER_LIBRARIES: dict[str, dict[str, Any]] = {
    "complaints": {
        "model": Complaint,
        "title": func.coalesce(Complaint.target_name, Complaint.category, Complaint.channel),
        "code": Complaint.tracking_no,
        "kind": Complaint.kind,
        "department": Complaint.department_id,
    },
    "personnel": {
        "model": EnforcementOfficer,
        "title": EnforcementOfficer.name,
        "code": EnforcementOfficer.certificate_number,
        "kind": literal("officer"),
    },
    "thirdparty": {
        "model": ThirdPartyRecord,
        "title": ThirdPartyRecord.object_name,
        "code": ThirdPartyRecord.uscc,
        "kind": ThirdPartyRecord.kind,
    },
    "knowledge": {
        "model": KnowledgeEntry,
        "title": KnowledgeEntry.title,
        "code": KnowledgeEntry.code,
        "kind": KnowledgeEntry.entry_type,
        "national": True,
    },
}
CLOSED_STATUSES = frozenset({"closed", "visited", "rated", "rejected", "merged"})
