"""Scheme versions: the seeded defaults, new versions, activation; and the explanation of a grade."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.audit.service import Actor, audit
from credit_svc.grading.indicators import SchemeDefinition, five_class_scheme, four_class_scheme
from credit_svc.grading.models import GradingScheme, SchemeStatus
from credit_svc.grading.schemas import Factor, SchemeCreate
from svc_runtime.db import get_or_not_found
from svc_runtime.problems import Conflict

NATIONAL_KEY = "samr-2022"
FIVE_CLASS_KEY = "five-class"


def _columns(definition: SchemeDefinition) -> dict[str, Any]:
    data = definition.model_dump(mode="json")
    return {
        "base_score": data["base_score"],
        "min_score": data["min_score"],
        "max_score": data["max_score"],
        "classes": data["classes"],
        "indicators": data["indicators"],
        "forced": data["forced"],
        "model_weight": data["model_weight"],
    }


async def ensure_default_schemes(session: AsyncSession, classes: int) -> None:
    """Seed the four-class (national) and five-class schemes once; the configured one is active nationally."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('credit-svc:seed-schemes'))"))
    if await session.scalar(select(func.count()).select_from(GradingScheme)):
        return
    now = datetime.now(UTC)
    for key, name, definition, n in (
        (NATIONAL_KEY, "企业信用风险分类 (A/B/C/D)", four_class_scheme(), 4),
        (FIVE_CLASS_KEY, "企业信用风险分类 (A-E, 五类)", five_class_scheme(), 5),
    ):
        active = n == classes
        session.add(
            GradingScheme(
                id=uuid.uuid4(),
                key=key,
                version=1,
                name=name,
                description="Seeded default index system: basic information, compliance, penalties, lists, "
                "complaints, risk warnings, inspection results and third-party data.",
                region_prefix="",
                status=SchemeStatus.ACTIVE if active else SchemeStatus.DRAFT,
                created_by="credit-svc:seed",
                activated_at=now if active else None,
                **_columns(definition),
            )
        )
    await session.flush()


async def get_scheme(session: AsyncSession, scheme_id: uuid.UUID, *, for_update: bool = False) -> GradingScheme:
    return await get_or_not_found(
        session, GradingScheme, scheme_id, for_update=for_update, missing=f"scheme {scheme_id} does not exist"
    )


async def create_scheme(session: AsyncSession, actor: Actor, body: SchemeCreate) -> GradingScheme:
    """Store a new version of a scheme (drafts are immutable too: a change is another version)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('credit-svc:scheme:' || :k))"), {"k": body.key})
    version = int(
        await session.scalar(
            select(func.coalesce(func.max(GradingScheme.version), 0)).where(GradingScheme.key == body.key)
        )
        or 0
    )
    definition = SchemeDefinition.model_validate(body.model_dump(include=set(SchemeDefinition.model_fields)))
    row = GradingScheme(
        id=uuid.uuid4(),
        key=body.key,
        version=version + 1,
        name=body.name,
        description=body.description,
        region_prefix=body.region_prefix,
        status=SchemeStatus.DRAFT,
        created_by=actor.subject,
        **_columns(definition),
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        actor,
        action="scheme.created",
        entity_type="scheme",
        entity_id=row.id,
        after={"key": row.key, "version": row.version, "region_prefix": row.region_prefix, **_columns(definition)},
    )
    return row


async def activate_scheme(session: AsyncSession, actor: Actor, scheme_id: uuid.UUID) -> GradingScheme:
    """Make a version the active scheme of its region (the one active there before is retired)."""
    row = await get_scheme(session, scheme_id, for_update=True)
    if row.status == SchemeStatus.ACTIVE:
        raise Conflict("the scheme is active already")
    now = datetime.now(UTC)
    current = await session.scalar(
        select(GradingScheme)
        .where(GradingScheme.status == SchemeStatus.ACTIVE, GradingScheme.region_prefix == row.region_prefix)
        .with_for_update()
    )
    if current is not None:
        current.status = SchemeStatus.RETIRED
        current.retired_at = now
        await session.flush()
    row.status = SchemeStatus.ACTIVE
    row.activated_at = now
    row.retired_at = None
    await session.flush()
    await audit(
        session,
        actor,
        action="scheme.activated",
        entity_type="scheme",
        entity_id=row.id,
        before={"active": str(current.id) if current else None},
        after={"active": str(row.id), "key": row.key, "version": row.version, "region_prefix": row.region_prefix},
    )
    return row


async def retire_scheme(session: AsyncSession, actor: Actor, scheme_id: uuid.UUID) -> GradingScheme:
    """Retire an active or draft version (objects it graded keep their grade until regraded)."""
    row = await get_scheme(session, scheme_id, for_update=True)
    if row.status == SchemeStatus.RETIRED:
        raise Conflict("the scheme is retired already")
    before = row.status
    row.status = SchemeStatus.RETIRED
    row.retired_at = datetime.now(UTC)
    await session.flush()
    await audit(
        session,
        actor,
        action="scheme.retired",
        entity_type="scheme",
        entity_id=row.id,
        before={"status": before},
        after={"status": row.status},
    )
    return row


def factors(
    scheme: GradingScheme | None, contributions: Sequence[float] | None, values: Sequence[float] | None
) -> list[Factor]:
    """Indicators with a non-zero contribution, the largest first (empty if the scheme is unknown)."""
    if scheme is None or contributions is None:
        return []
    out = []
    for i, indicator in enumerate(scheme.indicators):
        if i >= len(contributions) or contributions[i] == 0:
            continue
        out.append(
            Factor(
                indicator=indicator["key"],
                name=indicator["name"],
                category=indicator["category"],
                value=float(values[i]) if values is not None and i < len(values) else 0.0,
                contribution=round(float(contributions[i]), 2),
            )
        )
    out.sort(key=lambda f: -abs(f.contribution))
    return out


def moved_by(
    scheme: GradingScheme | None,
    contributions: Sequence[float] | None,
    previous: Sequence[float] | None,
    values: Sequence[float] | None,
) -> list[Factor]:
    """Change of each indicator's contribution against the previous grade of the same scheme version."""
    if scheme is None or contributions is None or previous is None or len(previous) != len(contributions):
        return []
    deltas = [c - p for c, p in zip(contributions, previous, strict=True)]
    return factors(scheme, deltas, values)


def class_meaning(scheme: GradingScheme | None, label: str) -> str | None:
    if scheme is None:
        return None
    return next((c.get("meaning") for c in scheme.classes if c.get("label") == label), None)
