"""HTTP interface of the supervised-object library: push (single, batch), list, read, merge and split."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from datahub_svc.access import InvalidRows, sees_personal_data, write_checker
from datahub_svc.cleaning.standardise import search_query
from datahub_svc.ingestion import service as ingestion_service
from datahub_svc.objects import service as object_service
from datahub_svc.objects.models import ObjectMergeAudit, SupervisedObject
from datahub_svc.objects.schemas import (
    BatchResult,
    FieldLineage,
    MergeAuditRead,
    MergeIn,
    ObjectBatchIn,
    ObjectIn,
    ObjectRead,
    ObjectUpserted,
    SplitIn,
    UpsertOutcome,
)
from supervision_schemas.datahub import CreditClass, ObjectKind
from svc_runtime.db import SessionDep
from svc_runtime.pagination import Page, PaginationDep, order_by, paginate
from svc_runtime.scope import DataScope, DataScopeDep

router = APIRouter(prefix="/objects", tags=["supervised objects"])
SORTABLE = {"name": SupervisedObject.name, "modified_at": SupervisedObject.modified_at}
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Makes a retry safe: the same key and body return the first result; another body gets 409.",
    ),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Outside your data scope"},
    409: {"description": "Idempotency key reused with another body"},
    422: {"description": "Invalid rows: `errors` lists row, field and reason"},
}


def object_read(obj: SupervisedObject, scope: DataScope) -> ObjectRead:
    """The API view of an object: identifiers masked by role, lineage expanded per field."""
    read = ObjectRead.model_validate(obj)
    if not sees_personal_data(scope):
        read.id_number = obj.id_number_masked
        read.phone = obj.phone_masked
    # A new object's fields all came from its first source at creation ("*" is written on the first update).
    base = obj.lineage.get("*") or {"source": obj.source, "at": obj.created_at}
    lineage = {k: FieldLineage.model_validate(v) for k, v in obj.lineage.items() if k != "*"}
    for field in object_service._LINEAGE_FIELDS:
        if field not in lineage and getattr(obj, field) not in (None, [], {}):
            lineage[field] = FieldLineage.model_validate(base)
    read.lineage = lineage
    return read


def _clean_all(items: list[ObjectIn], scope: DataScope, source: str | None) -> list[tuple[Any, ...]]:
    check = write_checker(scope)
    department = scope.department
    rows, errors = [], []
    for i, item in enumerate(items, start=1):
        row, row_errors = object_service.clean_object(
            item.model_dump(exclude_none=True),
            i,
            source=source,
            scope_check=check,
            provider_department_id=str(department) if department else None,
        )
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if errors:
        raise InvalidRows(
            f"{len({e[0] for e in errors})} of {len(items)} rows are invalid; nothing was stored",
            errors=[{"row": r, "field": f, "reason": m} for r, f, m in errors],
        )
    return rows


async def _idempotent(
    session: SessionDep,
    scope: DataScope,
    key: str | None,
    route: str,
    body: BaseModel,
    run: Any,
) -> Response:
    request_hash = ingestion_service.body_hash(body.model_dump_json().encode())
    principal = scope.principal.subject
    if key is not None:
        stored = await ingestion_service.replay(
            session, principal=principal, key=key, route=route, request_hash=request_hash
        )
        if stored is not None:
            return Response(
                stored.response,
                status_code=stored.status_code,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
    status_code, result = await run()
    content = result.model_dump_json().encode()
    if key is not None:
        await ingestion_service.remember(
            session,
            principal=principal,
            key=key,
            route=route,
            request_hash=request_hash,
            status_code=status_code,
            response=content,
        )
    return Response(content, status_code=status_code, media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=ObjectUpserted,
    responses={200: {"description": "Existing object updated or unchanged", "model": ObjectUpserted}, **ERRORS},
)
async def push_object(
    body: ObjectIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Push one supervised object: created, or merged into the object with the same identity."""

    async def run() -> tuple[int, ObjectUpserted]:
        rows = _clean_all([body], scope, scope.principal.client_id or scope.principal.subject)
        _, outcomes = await object_service.store_objects(session, rows)
        row, object_id, outcome = outcomes[0]
        return (201 if outcome is UpsertOutcome.CREATED else 200), ObjectUpserted(
            row=row, id=object_id, outcome=outcome
        )

    return await _idempotent(session, scope, idempotency_key, "POST /objects", body, run)


@router.post("/batch", response_model=BatchResult, responses=ERRORS)
async def push_objects(
    body: ObjectBatchIn, session: SessionDep, scope: DataScopeDep, idempotency_key: IdempotencyKeyHeader = None
) -> Response:
    """Push up to 1,000 objects at once: all are stored or, if any row is invalid, none."""

    async def run() -> tuple[int, BatchResult]:
        source = body.source or scope.principal.client_id or scope.principal.subject
        rows = _clean_all(body.items, scope, source)
        counts, outcomes = await object_service.store_objects(session, rows)
        return 200, BatchResult(
            created=counts.created,
            updated=counts.updated,
            unchanged=len(outcomes) - counts.created - counts.updated,
            items=[ObjectUpserted(row=r, id=i, outcome=o) for r, i, o in outcomes],
        )

    return await _idempotent(session, scope, idempotency_key, "POST /objects/batch", body, run)


@router.get("", response_model=Page[ObjectRead])
async def list_objects(
    session: SessionDep,
    scope: DataScopeDep,
    pagination: PaginationDep,
    q: Annotated[str | None, Query(max_length=100, description="Words the name, code or address contain.")] = None,
    kind: Annotated[ObjectKind | None, Query(description="Only objects of this kind.")] = None,
    region_code: Annotated[
        str | None, Query(pattern=r"^\d{2,6}$", description="Region code or prefix (34, 3416, 341602).")
    ] = None,
    credit_class: Annotated[CreditClass | None, Query(description="Only this credit class.")] = None,
    industry_code: Annotated[str | None, Query(max_length=10, description="Only this industry code.")] = None,
    tag: Annotated[str | None, Query(max_length=50, description="A business-trait or supervision-focus tag.")] = None,
    uscc: Annotated[str | None, Query(max_length=18, description="Unified social credit code.")] = None,
    include_merged: Annotated[bool, Query(description="Also list objects merged into others.")] = False,
    sort: Annotated[str | None, Query(description="name or modified_at, `-` for descending.")] = None,
) -> Page[ObjectRead]:
    """List supervised objects within your data scope."""
    statement = scope.filter(
        select(SupervisedObject), region=SupervisedObject.region_code, department=SupervisedObject.department_id
    )
    if q and (tsquery := search_query(q)):
        statement = statement.where(SupervisedObject.search_vector.op("@@")(func.to_tsquery("simple", tsquery)))
    if kind is not None:
        statement = statement.where(SupervisedObject.kind == kind.value)
    if region_code:
        statement = statement.where(SupervisedObject.region_code.startswith(region_code))
    if credit_class is not None:
        statement = statement.where(SupervisedObject.credit_class == credit_class.value)
    if industry_code:
        statement = statement.where(SupervisedObject.industry_code == industry_code.upper())
    if tag:
        statement = statement.where(
            SupervisedObject.business_traits.any(tag) | SupervisedObject.supervision_focus.any(tag)  # type: ignore[arg-type]  # ARRAY comparator: value = ANY(column)
        )
    if uscc:
        statement = statement.where(SupervisedObject.identity_key == f"uscc:{uscc.upper()}")
    if not include_merged:
        statement = statement.where(SupervisedObject.status == "active")
    statement = statement.order_by(*order_by(sort, SORTABLE, "-modified_at"), SupervisedObject.id)
    items, total = await paginate(session, statement, pagination)
    return Page(items=[object_read(o, scope) for o in items], total=total, page=pagination.page, limit=pagination.limit)


@router.get("/{object_id}", response_model=ObjectRead, responses={404: {"description": "Not in the library"}})
async def get_object(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> ObjectRead:
    """Get one supervised object with the source and time of each field."""
    obj = await object_service.get_object(session, object_id)
    scope.check_read(region_code=obj.region_code, department_id=obj.department_id)
    return object_read(obj, scope)


@router.post("/{object_id}/merge", response_model=list[MergeAuditRead], responses=ERRORS)
async def merge_objects(object_id: uuid.UUID, body: MergeIn, session: SessionDep, scope: DataScopeDep) -> Any:
    """Merge duplicate objects into this one (they are kept, marked merged; audited)."""
    surviving = await object_service.get_object(session, object_id)
    scope.check_write(region_code=surviving.region_code, department_id=surviving.department_id)
    for other_id in body.merged_object_ids:
        other = await object_service.get_object(session, other_id)
        scope.check_write(region_code=other.region_code, department_id=other.department_id)
    audits = await object_service.merge(
        session, surviving, body.merged_object_ids, actor=scope.principal.subject, reason=body.reason
    )
    await session.flush()
    return [MergeAuditRead.model_validate(a) for a in audits]


@router.post("/{object_id}/split", response_model=MergeAuditRead, responses=ERRORS)
async def split_object(object_id: uuid.UUID, body: SplitIn, session: SessionDep, scope: DataScopeDep) -> Any:
    """Undo a merge: the merged object becomes an object of its own again (audited)."""
    surviving = await object_service.get_object(session, object_id)
    scope.check_write(region_code=surviving.region_code, department_id=surviving.department_id)
    audit = await object_service.split(
        session, surviving, body.merged_object_id, actor=scope.principal.subject, reason=body.reason
    )
    await session.flush()
    return MergeAuditRead.model_validate(audit)


@router.get("/{object_id}/merge-audit", response_model=list[MergeAuditRead])
async def merge_audit(object_id: uuid.UUID, session: SessionDep, scope: DataScopeDep) -> Any:
    """The merges and splits this object took part in, oldest first."""
    obj = await object_service.get_object(session, object_id)
    scope.check_read(region_code=obj.region_code, department_id=obj.department_id)
    rows = await session.scalars(
        select(ObjectMergeAudit)
        .where((ObjectMergeAudit.surviving_object_id == object_id) | (ObjectMergeAudit.merged_object_id == object_id))
        .order_by(ObjectMergeAudit.at)
    )
    return [MergeAuditRead.model_validate(a) for a in rows]
