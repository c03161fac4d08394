"""Cleaning, linking and storing complaints from agency pushes and from complaint-svc's events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, cast, func
from sqlalchemy.dialects.postgresql import TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.access import WriteScope
from datahub_svc.cleaning.standardise import mask_phone, parse_phone, tsvector_literal
from datahub_svc.complaints.models import Complaint
from datahub_svc.complaints.schemas import ComplaintIn
from datahub_svc.linking import service as linking_service
from datahub_svc.objects.prepare import RowError
from datahub_svc.quality import service as quality_service
from datahub_svc.records import RowCleaner
from supervision_schemas.complaint import ComplaintReceived, ComplaintStatusChanged
from supervision_schemas.signals import ComplaintSignalRecorded
from svc_runtime.db import utc_now

_INDUSTRY = re.compile(r"^[A-T](\d{2,4})?$")
# Facts that only a newer event may change; every other field keeps what is known when a record lacks it.
_WORKFLOW = ("status", "closed_at", "result_code", "result_summary", "satisfaction")
_FIELDS = (
    "tracking_no",
    "kind",
    "channel",
    "channel_ref",
    "category",
    "summary",
    "received_at",
    "anonymous",
    "complainant_name",
    "complainant_name_masked",
    "complainant_phone",
    "complainant_phone_masked",
    "region_code",
    "department_id",
    "department_name",
    "target_name",
    "target_uscc",
    "target_industry_code",
    "object_id",
    "link_method",
    "link_score",
    "source",
    "provider_department_id",
)


_COLUMNS = ("complaint_key", "search_vector", "modified_at", "source_time", *_FIELDS, *_WORKFLOW)


def mask_name(name: str | None) -> str | None:
    """A person's name for display without the right to see it: the family name kept (张**)."""
    return name[0] + "*" * (len(name) - 1) if name else name


def clean_complaint(
    item: ComplaintIn, row: int, *, source: str, provider: uuid.UUID | None, check: WriteScope | None
) -> tuple[dict[str, Any] | None, list[RowError]]:
    c = RowCleaner(row)
    number = c.text("number", item.number, 100, required=True)
    channel = c.text("channel", item.channel, 50, required=True)
    region = c.region("region_code", item.region_code)
    phone = c("complainant_phone", item.complainant_phone, parse_phone)
    name = c.text("complainant_name", item.complainant_name, 100)
    industry = c.text("target_industry_code", item.target_industry_code, 10)
    if industry is not None:
        industry = industry.upper()
        if not _INDUSTRY.match(industry):
            c.fail("target_industry_code", "not a GB/T 4754 industry code (a letter A-T and 2-4 digits)")
    if item.closed_at and item.closed_at < item.received_at:
        c.fail("closed_at", "closed before it was received")
    if item.anonymous and (name or phone):
        c.fail("anonymous", "an anonymous complaint carries no complainant")
    values = {
        "complaint_key": f"{channel}:{number}",
        "tracking_no": number,
        "kind": item.kind.value,
        "channel": channel,
        "channel_ref": number,
        "category": c.text("category", item.category, 50),
        "summary": c.text("summary", item.summary, 4000),
        "received_at": item.received_at,
        "status": item.status.value,
        "closed_at": item.closed_at,
        "result_code": c.text("result_code", item.result_code, 50),
        "result_summary": c.text("result_summary", item.result_summary, 4000),
        "satisfaction": item.satisfaction,
        "anonymous": item.anonymous,
        "complainant_name": name,
        "complainant_name_masked": mask_name(name),
        "complainant_phone": phone,
        "complainant_phone_masked": mask_phone(phone),
        "region_code": region,
        "department_id": item.department_id,
        "department_name": c.text("department_name", item.department_name, 200),
        "target_name": c.text("target_name", item.target_name, 300),
        "target_uscc": c.uscc("target_uscc", item.target_uscc),
        "target_industry_code": industry,
        "object_id": None,
        "source": source,
        "provider_department_id": provider,
        "source_time": utc_now(),
    }
    c.scope(check, region, item.department_id)
    return (None, c.errors) if c.errors else (values, [])


def _event_row(complaint_id: uuid.UUID, source: str, time: datetime, **values: Any) -> dict[str, Any]:
    return {
        "complaint_key": str(complaint_id),
        "complainant_name": None,
        "complainant_name_masked": None,
        "complainant_phone": None,
        "complainant_phone_masked": None,
        "source": source,
        "provider_department_id": values.get("department_id"),
        "source_time": time,
        **values,
    }


def from_received(event: ComplaintReceived) -> dict[str, Any]:
    d = event.data
    return _event_row(
        d.complaint_id,
        event.source,
        d.received_at,
        tracking_no=d.tracking_no,
        kind=d.kind.value,
        channel=d.channel.value,
        channel_ref=d.channel_ref,
        category=d.category,
        summary=None,
        received_at=d.received_at,
        status="merged" if d.merged_into else "received",
        closed_at=None,
        result_code=None,
        result_summary=None,
        satisfaction=None,
        anonymous=d.anonymous,
        region_code=d.region_code,
        department_id=d.target.department_id or d.department_id,
        department_name=d.target.department_name,
        target_name=d.target.name,
        target_uscc=d.target.uscc,
        target_industry_code=d.target.industry_code,
        object_id=d.target.object_id,
    )


def from_status(event: ComplaintStatusChanged) -> dict[str, Any]:
    d = event.data
    closed = d.to_status.value in ("closed", "visited", "rated")
    return _event_row(
        d.complaint_id,
        event.source,
        d.changed_at,
        tracking_no=d.tracking_no,
        kind=d.kind.value,
        channel=d.channel.value,
        channel_ref=d.channel_ref,
        category=None,
        summary=None,
        received_at=None,
        status=d.to_status.value,
        closed_at=d.changed_at if closed else None,
        result_code=d.result.code if d.result else None,
        result_summary=d.result.summary if d.result else None,
        satisfaction=d.satisfaction,
        anonymous=None,
        region_code=d.region_code,
        department_id=d.department_id,
        department_name=None,
        target_name=None,
        target_uscc=None,
        target_industry_code=None,
        object_id=None,
    )


def from_signal(event: ComplaintSignalRecorded) -> dict[str, Any]:
    d = event.data
    object_id = None
    if d.object.object_id:
        try:
            object_id = uuid.UUID(d.object.object_id)
        except ValueError:
            object_id = None
    row = _event_row(
        d.complaint_id,
        event.source,
        d.received_at,
        tracking_no=None,
        kind="report" if d.is_report else "complaint",
        channel=d.channel,
        channel_ref=None,
        category=d.category.value,
        summary=d.summary,
        received_at=d.received_at,
        status="received",
        closed_at=None,
        result_code=None,
        result_summary=None,
        satisfaction=None,
        anonymous=None,
        region_code=d.object.region_code,
        department_id=d.object.department_id,
        department_name=d.object.department_name,
        target_name=d.object.name,
        target_uscc=d.object.uscc,
        target_industry_code=d.object.industry_code,
        object_id=object_id,
    )
    row["signal_only"] = True
    return row


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Link and upsert complaints by key; workflow facts only from newer records; quality rules run."""
    merged: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = r["complaint_key"]
        previous = merged.get(key)
        if previous is None:
            merged[key] = dict(r)
        else:  # several events of one complaint in one batch: fill gaps, the newest workflow wins
            newer = r["source_time"] >= previous["source_time"]
            for f, v in r.items():
                if f in _WORKFLOW or f == "source_time":
                    if newer and (v is not None or f == "status"):
                        previous[f] = v
                elif previous.get(f) is None:
                    previous[f] = v
    values = []
    for r in merged.values():
        r.pop("signal_only", None)
        object_id, method, score = await linking_service.link_any(
            session,
            object_id=r.get("object_id"),
            uscc=r.get("target_uscc"),
            name=r.get("target_name"),
            region_code=r.get("region_code"),
        )
        r.update(object_id=object_id, link_method=method, link_score=score)
        r.setdefault("received_at", None)
        text = " ".join(filter(None, (r.get("target_name"), r.get("summary"), r.get("category"))))
        r["search_vector"] = cast(tsvector_literal(text, r.get("target_uscc"), r.get("tracking_no")), TSVECTOR)
        r["modified_at"] = utc_now()
        r["status"] = r.get("status") or "received"
        r["kind"] = r.get("kind") or "complaint"
        r["channel"] = r.get("channel") or "unknown"
        r["anonymous"] = bool(r.get("anonymous"))
        values.append({f: r.get(f) for f in _COLUMNS})
    need_received = [r for r in values if r["received_at"] is None]
    if need_received:  # a status change before its complaint arrived: keep the first known time
        for r in need_received:
            r["received_at"] = r["source_time"]
    statement = insert(Complaint).values(values)
    newer = statement.excluded.source_time >= Complaint.source_time
    set_: dict[str, Any] = {
        f: func.coalesce(statement.excluded[f], getattr(Complaint, f)) for f in _FIELDS if f != "received_at"
    }
    set_["received_at"] = func.least(statement.excluded.received_at, Complaint.received_at)
    for f in _WORKFLOW:
        keep = getattr(Complaint, f)
        new_value = statement.excluded[f] if f == "status" else func.coalesce(statement.excluded[f], keep)
        set_[f] = case((newer, new_value), else_=keep)
    set_["source_time"] = func.greatest(statement.excluded.source_time, Complaint.source_time)
    set_["search_vector"] = statement.excluded.search_vector
    set_["modified_at"] = statement.excluded.modified_at
    upsert = statement.on_conflict_do_update(index_elements=[Complaint.complaint_key], set_=set_).returning(
        Complaint.complaint_key, Complaint.id
    )
    stored: dict[str, uuid.UUID] = dict((await session.execute(upsert)).all())
    await quality_service.check_records(session, "complaints", list(stored.values()))
    return [stored[r["complaint_key"]] for r in rows]
