"""Cleaning, linking and storing supervision-behaviour records; each new or changed record is an event."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.behaviour.models import BehaviourRecord, LinkReview
from datahub_svc.behaviour.schemas import DETAIL_MODELS, BehaviourIn, PenaltyDetails
from datahub_svc.bulk import SOURCE
from datahub_svc.cleaning.standardise import (
    CleaningError,
    clean_item_code,
    clean_region_code,
    clean_resident_id,
    clean_text,
    clean_uscc,
    mask_resident_id,
    parse_date,
    search_document,
)
from datahub_svc.linking import service as linking_service
from datahub_svc.objects.service import RowError, ScopeCheck
from datahub_svc.quality import service as quality_service
from supervision_schemas.datahub import BehaviourRecorded, BehaviourRecordedData
from svc_runtime import outbox
from svc_runtime.db import utc_now


def clean_behaviour(
    item: BehaviourIn,
    row: int,
    *,
    source: str | None,
    scope_check: ScopeCheck | None,
    provider_department_id: uuid.UUID | None = None,
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """Clean one record into column values, or the reasons (row, field) it is refused."""
    errors: list[RowError] = []

    def get(name: str, value: object, fn: Any) -> Any:
        try:
            return fn(value)
        except CleaningError as exc:
            errors.append((row, name, exc.reason))
            return None

    values: dict[str, Any] = {
        "record_type": item.record_type.value,
        "record_code": get("record_code", item.record_code, lambda v: clean_text(v, max_length=100)),
        "item_code": get("item_code", item.item_code, clean_item_code),
        "inspection_list_code": get("inspection_list_code", item.inspection_list_code, clean_text),
        "random_plan_id": clean_text(item.random_plan_id),
        "implementing_agency": get("implementing_agency", item.implementing_agency, clean_text),
        "implementing_agency_code": clean_text(item.implementing_agency_code),
        "entrusted_agency": clean_text(item.entrusted_agency),
        "object_type": clean_text(item.object_type),
        "object_name": get("object_name", item.object_name, lambda v: clean_text(v, max_length=300)),
        "credential_type": clean_text(item.credential_type),
        "object_uscc": get("object_uscc", item.object_uscc, clean_uscc),
        "object_id_number": get("object_id_number", item.object_id_number, clean_resident_id),
        "legal_representative": clean_text(item.legal_representative),
        "registered_address": clean_text(item.registered_address),
        "business_address": clean_text(item.business_address),
        "region_code": get("region_code", item.region_code, clean_region_code),
        "department_id": item.department_id,
        "acted_on": get("acted_on", item.acted_on, parse_date),
        "result": clean_text(item.result),
        "officers": [t for o in item.officers if (t := clean_text(o))],
        "certificate_numbers": [t for c in item.certificate_numbers if (t := clean_text(c))],
        "reported_at": item.reported_at,
        "reporter": clean_text(item.reporter),
        "source": source,
        "provider_department_id": provider_department_id,
    }
    for required in ("record_code", "item_code", "implementing_agency", "object_name", "region_code", "acted_on"):
        if values[required] is None and not any(e[1] == required for e in errors):
            errors.append((row, required, "required"))
    if item.inspection_list_code and values["inspection_list_code"]:
        list_code = values["inspection_list_code"]
        try:
            clean_uscc(list_code[:18])
        except CleaningError:
            errors.append((row, "inspection_list_code", "must start with the implementing agency's credit code"))
        else:
            if len(list_code) < 19 or list_code[18] not in "12345":
                errors.append((row, "inspection_list_code", "character 19 must be the level 1-5"))
    if values["reported_at"] and values["acted_on"] and values["reported_at"].date() < values["acted_on"]:
        errors.append((row, "reported_at", "报送时间 must be later than the act"))
    model = DETAIL_MODELS[item.record_type]
    try:
        details = model.model_validate(item.details)
    except ValidationError as exc:
        for err in exc.errors():
            errors.append((row, ".".join(str(p) for p in err["loc"]) or "details", err["msg"]))
        details = None
    if values["region_code"] and scope_check and (denied := scope_check(values["region_code"], item.department_id)):
        errors.append((row, "region_code", denied))
    if errors:
        return None, errors
    values["details"] = details.model_dump(mode="json", exclude_none=True) if details else {}
    values["penalty_amount"] = details.fine_amount if isinstance(details, PenaltyDetails) else None
    values["object_id_number_masked"] = mask_resident_id(values["object_id_number"])
    values["content_hash"] = hashlib.sha256(orjson.dumps(values, default=str)).hexdigest()
    return values, []


async def store(session: AsyncSession, values: dict[str, Any]) -> tuple[BehaviourRecord, str]:
    """Insert or update by (record type, record code); link, queue a review, stage the event.

    Returns the record and `created`, `updated` or `unchanged` (a re-sent identical record changes nothing).
    """
    existing = await session.scalar(
        select(BehaviourRecord).where(
            BehaviourRecord.record_type == values["record_type"], BehaviourRecord.record_code == values["record_code"]
        )
    )
    if existing is not None and existing.content_hash == values["content_hash"]:
        return existing, "unchanged"
    link = await linking_service.link(
        session,
        uscc=values["object_uscc"],
        name=values["object_name"],
        address=values["business_address"] or values["registered_address"],
        legal_representative=values["legal_representative"],
        region_code=values["region_code"],
    )
    search = search_document(
        values["object_name"],
        values["object_uscc"],
        values["implementing_agency"],
        values["result"],
        values["details"].get("illegal_facts"),
        values["details"].get("content"),
    )
    record = existing or BehaviourRecord(id=uuid.uuid4())
    for key, value in values.items():
        setattr(record, key, value)
    record.object_id = link.object_id
    record.link_method = link.method
    record.link_score = link.score
    record.search_vector = func.to_tsvector("simple", search)
    record.modified_at = utc_now()
    if existing is None:
        session.add(record)
    await session.flush()
    await session.refresh(record)
    if link.method == "review":
        session.add(
            LinkReview(
                record_id=record.id,
                candidate_object_id=link.candidates[0].object_id,
                score=link.score,
                status="pending",
                region_code=record.region_code,
                department_id=record.department_id,
            )
        )
    await outbox.stage(session, recorded_event(record))
    await quality_service.check_records(session, "behaviour", [record.id], new=existing is None)
    return record, "created" if existing is None else "updated"


def recorded_event(record: BehaviourRecord) -> BehaviourRecorded:
    return BehaviourRecorded.build(
        source=SOURCE,
        subject=str(record.object_id or record.id),
        data=BehaviourRecordedData(
            record_id=record.id,
            record_type=record.record_type,
            record_code=record.record_code,
            item_code=record.item_code,
            inspection_list_code=record.inspection_list_code,
            object_id=record.object_id,
            object_uscc=record.object_uscc,
            object_name=record.object_name,
            region_code=record.region_code,
            department_id=record.department_id,
            acted_on=record.acted_on,
            result=record.result,
            penalty_amount=str(record.penalty_amount) if record.penalty_amount is not None else None,
            recorded_at=utc_now(),
        ),
    )
