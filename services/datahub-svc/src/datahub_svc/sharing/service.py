"""Scoped, masked queries over the shared datasets, and the access log every read is written to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from datahub_svc.access import sees_personal_data
from datahub_svc.records import NATIONAL
from datahub_svc.sharing.datasets import Dataset
from datahub_svc.sharing.models import AccessLogEntry
from svc_runtime.logging import request_id_var
from svc_runtime.scope import DataScope, OutOfScope


def selection(
    dataset: Dataset,
    scope: DataScope,
    *,
    region_code: str | None = None,
    updated_since: datetime | None = None,
    uscc: str | None = None,
    object_id: uuid.UUID | None = None,
) -> tuple[Select[Any], bool]:
    """The select of a dataset for this caller: scoped rows, personal columns masked by role; and `masked`."""
    masked = bool(dataset.personal) and not sees_personal_data(scope)
    columns = []
    for name in dataset.columns:
        source = dataset.personal.get(name) if masked else None
        columns.append(dataset.column(source or name).label(name))
    statement = select(*columns)
    region = dataset.column("region_code")
    department = dataset.column("department_id") if dataset.department_scoped else None
    condition = scope.condition(region=region)
    if department is not None and not scope.all_departments:
        # Department roles see their department's records and those that belong to no department.
        if scope.department is None:
            raise OutOfScope("your token carries no department")
        condition = condition & (department.is_(None) | (department == scope.department))
    if dataset.national_rows:
        condition = condition | (region == literal(NATIONAL))
    statement = statement.where(condition)
    if region_code:
        statement = statement.where(region.startswith(region_code))
    if updated_since:
        statement = statement.where(dataset.column(dataset.updated_column) >= updated_since)
    if uscc and dataset.uscc_column:
        statement = statement.where(dataset.column(dataset.uscc_column) == uscc.upper())
    if object_id and dataset.object_column:
        statement = statement.where(dataset.column(dataset.object_column) == object_id)
    return statement.order_by(dataset.column(dataset.updated_column), dataset.column("id")), masked


async def log_access(
    session: AsyncSession,
    scope: DataScope,
    *,
    action: str,
    dataset: str,
    records: int,
    masked: bool,
    filters: dict[str, Any] | None = None,
    record_ref: str | None = None,
) -> None:
    """Append one entry to the access log in the request's transaction (it commits with the answer)."""
    principal = scope.principal
    session.add(
        AccessLogEntry(
            subject=principal.subject,
            client_id=principal.client_id,
            roles=sorted(principal.roles),
            region_code=principal.region_code,
            department_id=scope.department,
            action=action,
            dataset=dataset,
            record_ref=record_ref,
            filters={k: str(v) for k, v in (filters or {}).items() if v is not None},
            records=records,
            masked=masked,
            request_id=request_id_var.get(),
        )
    )
