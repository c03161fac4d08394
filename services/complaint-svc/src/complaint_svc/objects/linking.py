"""Linking a complaint's target to a supervised object of the data hub: by USCC, else by name similarity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from complaint_svc.objects.models import DepartmentView, ObjectView
from complaint_svc.objects.names import bigrams, name_similarity, org_core


@dataclass
class Link:
    """What is known of a complaint's target after linking."""

    name: str | None
    uscc: str | None
    name_core: str | None = None
    object_id: uuid.UUID | None = None
    industry_code: str | None = None
    department_id: uuid.UUID | None = None
    department_name: str | None = None
    department_type: str | None = None
    method: Literal["uscc", "name", "manual", "none"] = "none"
    score: float | None = None

    @property
    def identified(self) -> bool:
        return self.object_id is not None or self.uscc is not None


_CANDIDATES = text(
    "SELECT object_id, name, name_core, uscc, industry_code, department_id FROM object_view "
    "WHERE name_bigrams && :grams AND merged_into IS NULL AND region_code LIKE :province "
    "ORDER BY cardinality(ARRAY(SELECT unnest(name_bigrams) INTERSECT SELECT unnest(CAST(:grams AS varchar[])))) DESC "
    "LIMIT 20"
).bindparams(bindparam("grams", type_=ARRAY(String)))


async def _department(session: AsyncSession, link: Link) -> None:
    if link.department_id is None:
        return
    row = (
        await session.execute(
            select(DepartmentView.name, DepartmentView.department_type).where(
                DepartmentView.department_id == link.department_id
            )
        )
    ).first()
    if row is not None:
        link.department_name, link.department_type = row


class _ObjectFields(Protocol):
    """What linking reads of an object: an ObjectView, or a row of _CANDIDATES."""

    @property
    def object_id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def uscc(self) -> str | None: ...
    @property
    def industry_code(self) -> str | None: ...
    @property
    def department_id(self) -> uuid.UUID | None: ...


def _apply(link: Link, obj: _ObjectFields, method: Literal["uscc", "name", "manual"], score: float) -> None:
    link.object_id = obj.object_id
    link.name = link.name or obj.name
    link.uscc = link.uscc or obj.uscc
    link.industry_code = obj.industry_code
    link.department_id = obj.department_id
    link.method = method
    link.score = round(score, 4)


async def link_target(
    session: AsyncSession, *, name: str | None, uscc: str | None, region_code: str, min_score: float
) -> Link:
    """Find the object: the same USCC first; else the most similar name in the province above `min_score`."""
    link = Link(name=name, uscc=uscc, name_core=org_core(name) or None if name else None)
    if uscc:
        obj = await session.scalar(
            select(ObjectView).where(ObjectView.uscc == uscc, ObjectView.merged_into.is_(None)).limit(1)
        )
        if obj is not None:
            _apply(link, obj, "uscc", 1.0)
            await _department(session, link)
            return link
    if link.name_core and len(link.name_core) >= 2:
        grams = bigrams(link.name_core)
        rows = (await session.execute(_CANDIDATES, {"grams": grams, "province": region_code[:2] + "%"})).all()
        scored = sorted(((name_similarity(link.name_core, r.name_core), r) for r in rows), key=lambda x: -x[0])
        if scored and scored[0][0] >= min_score:
            best, row = scored[0]
            runner_up = scored[1][0] if len(scored) > 1 else 0.0
            # Two objects equally like the name: do not guess (a handler links by hand).
            if runner_up < best - 0.02 or best == 1.0 and runner_up < 1.0:
                if uscc is None or row.uscc in (None, uscc):
                    _apply(link, row, "name", best)
                    await _department(session, link)
    return link


async def link_object(session: AsyncSession, object_id: uuid.UUID, link: Link) -> bool:
    """Link by hand to a known object; False when the object view does not have it."""
    obj = await session.get(ObjectView, object_id)
    if obj is None:
        return False
    if obj.merged_into is not None:
        obj = await session.get(ObjectView, obj.merged_into) or obj
    link.name = obj.name
    link.uscc = obj.uscc
    link.name_core = obj.name_core
    _apply(link, obj, "manual", 1.0)
    await _department(session, link)
    return True
