"""Cleaning and storing enforcement officers, from agency pushes and from the identity system's events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import cast, select
from sqlalchemy.dialects.postgresql import TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.access import WriteScope
from datahub_svc.cleaning.standardise import (
    clean_resident_id,
    mask_phone,
    mask_resident_id,
    parse_phone,
    tsvector_literal,
)
from datahub_svc.objects.prepare import RowError
from datahub_svc.personnel.models import EnforcementOfficer
from datahub_svc.personnel.schemas import OfficerIn
from datahub_svc.quality import service as quality_service
from datahub_svc.records import RowCleaner
from supervision_schemas.auth import InspectorChanged
from svc_runtime.db import utc_now

_UPDATED = (
    "user_id",
    "name",
    "id_number",
    "id_number_masked",
    "phone",
    "phone_masked",
    "department_id",
    "unit",
    "region_code",
    "post",
    "certificate_number",
    "certificate_issuer",
    "certificate_valid_from",
    "certificate_valid_until",
    "qualifications",
    "status",
    "search_vector",
    "source",
    "provider_department_id",
    "source_time",
)


def clean_officer(
    item: OfficerIn, row: int, *, source: str, provider: uuid.UUID | None, check: WriteScope | None
) -> tuple[dict[str, Any] | None, list[RowError]]:
    c = RowCleaner(row)
    certificate = c.text("certificate_number", item.certificate_number, 50, required=True)
    region = c.region("region_code", item.region_code)
    id_number = c("id_number", item.id_number, clean_resident_id)
    phone = c("phone", item.phone, parse_phone)
    values = {
        "personnel_key": f"cert:{certificate}",
        "user_id": None,
        "name": c.text("name", item.name, 100, required=True),
        "id_number": id_number,
        "id_number_masked": mask_resident_id(id_number),
        "phone": phone,
        "phone_masked": mask_phone(phone),
        "department_id": item.department_id,
        "unit": c.text("unit", item.unit, 200),
        "region_code": region,
        "post": c.text("post", item.post, 100),
        "certificate_number": certificate,
        "certificate_issuer": c.text("certificate_issuer", item.certificate_issuer, 200),
        "certificate_valid_from": item.certificate_valid_from,
        "certificate_valid_until": item.certificate_valid_until,
        "qualifications": [q for q in (c.text("qualifications", v, 100) for v in item.qualifications) if q],
        "status": item.status.value,
        "source": source,
        "provider_department_id": provider,
        "source_time": utc_now(),
    }
    if (
        item.certificate_valid_from
        and item.certificate_valid_until
        and item.certificate_valid_until < item.certificate_valid_from
    ):
        c.fail("certificate_valid_until", "the certificate expires before it is valid")
    c.scope(check, region, item.department_id)
    return (None, c.errors) if c.errors else (values, [])


def from_event(event: InspectorChanged) -> dict[str, Any]:
    d = event.data
    return {
        "personnel_key": f"user:{d.user_id}",
        "user_id": d.user_id,
        "name": d.name,
        "id_number": None,
        "id_number_masked": None,
        "phone": None,
        "phone_masked": None,
        "department_id": d.department_id,
        "unit": None,
        "region_code": d.region_code,
        "post": None,
        "certificate_number": d.certificate_number,
        "certificate_issuer": None,
        "certificate_valid_from": d.certificate_valid_from,
        "certificate_valid_until": d.certificate_valid_until,
        "qualifications": list(d.qualifications),
        "status": d.status.value,
        "source": event.source,
        "provider_department_id": d.department_id,
        "source_time": d.changed_at,
    }


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Upsert officers by key (an older event never overwrites a newer one); run the library's quality rules.

    An officer of the identity system takes over the record an agency pushed with the same certificate.
    """
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["personnel_key"].startswith("user:") and r["certificate_number"]:
            adopted = await session.scalar(
                select(EnforcementOfficer.id).where(
                    EnforcementOfficer.personnel_key == f"cert:{r['certificate_number']}"
                )
            )
            if adopted is not None:
                existing_user = await session.scalar(
                    select(EnforcementOfficer.id).where(EnforcementOfficer.personnel_key == r["personnel_key"])
                )
                if existing_user is None:
                    await session.execute(
                        EnforcementOfficer.__table__.update()
                        .where(EnforcementOfficer.id == adopted)
                        .values(personnel_key=r["personnel_key"])
                    )
        current = latest.get(r["personnel_key"])
        if current is None or current["source_time"] <= r["source_time"]:
            latest[r["personnel_key"]] = r
    values = [
        {
            **r,
            "search_vector": cast(tsvector_literal(r["name"], r["certificate_number"], r["unit"]), TSVECTOR),
            "modified_at": utc_now(),
        }
        for r in latest.values()
    ]
    statement = insert(EnforcementOfficer).values(values)
    upsert = statement.on_conflict_do_update(
        index_elements=[EnforcementOfficer.personnel_key],
        set_={
            **{f: statement.excluded[f] for f in _UPDATED},
            "modified_at": statement.excluded.modified_at,
        },
        where=EnforcementOfficer.source_time <= statement.excluded.source_time,
    ).returning(EnforcementOfficer.personnel_key, EnforcementOfficer.id)
    stored: dict[str, uuid.UUID] = dict((await session.execute(upsert)).all())
    if len(stored) < len(latest):  # rows an older event did not overwrite
        missing = [k for k in latest if k not in stored]
        stored.update(
            (
                await session.execute(
                    select(EnforcementOfficer.personnel_key, EnforcementOfficer.id).where(
                        EnforcementOfficer.personnel_key.in_(missing)
                    )
                )
            ).all()
        )
    await quality_service.check_records(session, "personnel", list(stored.values()))
    return [stored[r["personnel_key"]] for r in rows]
