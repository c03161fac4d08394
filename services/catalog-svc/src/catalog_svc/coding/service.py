"""Code schemes as data: validating codes on input and allocating them on publication, never twice."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_svc.coding import validators
from catalog_svc.coding.models import CodeAllocation, CodeScheme, CodeTarget
from catalog_svc.coding.schemas import CodeCheckResult, CodeSchemeCreate
from catalog_svc.coding.validators import prefix_and_sequence
from catalog_svc.errors import InvalidField
from svc_runtime.db import utc_now
from svc_runtime.problems import Conflict, NotFound


class CodeTaken(Conflict):
    title = "Code already allocated"


class SequenceExhausted(Conflict):
    title = "Code sequence exhausted"


class SchemeNotFound(NotFound):
    title = "Code scheme not found"


def scheme_dict(scheme: CodeScheme) -> dict[str, Any]:
    return {
        "scheme_id": scheme.scheme_id,
        "version": scheme.version,
        "min_length": scheme.min_length,
        "max_length": scheme.max_length,
        "segments": scheme.segments,
        "validators": scheme.validators,
    }


async def active_schemes(session: AsyncSession, target: CodeTarget) -> list[CodeScheme]:
    """Active schemes of a target, newest version of each scheme first."""
    rows = await session.scalars(
        select(CodeScheme)
        .where(CodeScheme.target == target, CodeScheme.active.is_(True))
        .order_by(CodeScheme.scheme_id, CodeScheme.version.desc())
    )
    seen: dict[str, CodeScheme] = {}
    for scheme in rows:
        seen.setdefault(scheme.scheme_id, scheme)
    return list(seen.values())


async def list_schemes(session: AsyncSession) -> list[CodeScheme]:
    return list(await session.scalars(select(CodeScheme).order_by(CodeScheme.scheme_id, CodeScheme.version)))


async def create_scheme(session: AsyncSession, *, data: CodeSchemeCreate) -> CodeScheme:
    """Add a scheme or the next version of one; older versions of it are deactivated."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"scheme:{data.scheme_id}"})
    latest = await session.scalar(select(func.max(CodeScheme.version)).where(CodeScheme.scheme_id == data.scheme_id))
    if latest and data.active:
        await session.execute(
            CodeScheme.__table__.update().where(CodeScheme.scheme_id == data.scheme_id).values(active=False)
        )
    scheme = CodeScheme(
        **data.model_dump(exclude={"segments"}),
        segments=[s.model_dump(exclude_none=True) for s in data.segments],
        version=(latest or 0) + 1,
        created_at=utc_now(),
    )
    session.add(scheme)
    await session.flush()
    return scheme


def parse(code: str, scheme: dict[str, Any]) -> dict[str, str]:
    """Split a code into its named segments."""
    out, offset = {}, 0
    for seg in scheme["segments"]:
        out[seg["name"]] = code[offset : offset + seg["length"]]
        offset += seg["length"]
    if offset < len(code):
        out["rest"] = code[offset:]
    return out


async def check(session: AsyncSession, target: CodeTarget, code: str) -> CodeCheckResult:
    """Validate a code against every active scheme of its target; the first scheme it passes wins."""
    allocated = await session.get(CodeAllocation, code) is not None
    errors: list[str] = []
    for scheme in await active_schemes(session, target):
        sd = scheme_dict(scheme)
        found = validators.run(code, sd)
        if not found:
            return CodeCheckResult(
                code=code,
                valid=True,
                scheme_id=scheme.scheme_id,
                scheme_version=scheme.version,
                segments=parse(code, sd),
                allocated=allocated,
            )
        errors.extend(f"{scheme.scheme_id} v{scheme.version}: {e}" for e in found)
    return CodeCheckResult(code=code, valid=False, errors=errors or ["no active code scheme"], allocated=allocated)


async def reserve(
    session: AsyncSession, *, target: CodeTarget, code: str, record_id: uuid.UUID, field: str = "code"
) -> None:
    """Record a code given on input (validated against the schemes); refuse it if already allocated."""
    result = await check(session, target, code)
    if not result.valid:
        raise InvalidField(field, "; ".join(result.errors), code=code)
    if result.allocated:
        raise CodeTaken(f"code {code} is already allocated and can never be reused")
    scheme = next(s for s in await active_schemes(session, target) if s.scheme_id == result.scheme_id)
    prefix, sequence = prefix_and_sequence(code, scheme_dict(scheme))
    await _insert(session, code, target, prefix, sequence, scheme, record_id)


async def _insert(
    session: AsyncSession,
    code: str,
    target: CodeTarget,
    prefix: str,
    sequence: int,
    scheme: CodeScheme,
    record_id: uuid.UUID,
) -> None:
    result = await session.execute(
        text(
            "INSERT INTO code_allocations (code, target, prefix, sequence, scheme_id, scheme_version, record_id) "
            "VALUES (:code, :target, :prefix, :sequence, :scheme_id, :version, :record_id) "
            "ON CONFLICT (code) DO NOTHING"
        ),
        {
            "code": code,
            "target": target.value,
            "prefix": prefix,
            "sequence": sequence,
            "scheme_id": scheme.scheme_id,
            "version": scheme.version,
            "record_id": record_id,
        },
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise CodeTaken(f"code {code} is already allocated and can never be reused")


async def _next_sequence(session: AsyncSession, prefix: str, length: int) -> int:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"code:{prefix}"})
    current = await session.scalar(select(func.max(CodeAllocation.sequence)).where(CodeAllocation.prefix == prefix))
    nxt = (current or 0) + 1
    if nxt >= 10**length:
        raise SequenceExhausted(f"no code left under prefix {prefix} (segment of {length} digits)")
    return nxt


async def allocate(
    session: AsyncSession,
    *,
    target: CodeTarget,
    record_id: uuid.UUID,
    values: dict[str, str],
    parent_code: str | None = None,
) -> str:
    """Generate the next code of the target's active scheme from the record's values, and record it.

    For a sub item the parent's code fixes every segment before `sub_sequence`.
    """
    schemes = await active_schemes(session, target)
    if not schemes:
        raise SchemeNotFound(f"no active code scheme for {target}")
    scheme = schemes[0]
    segs = scheme.segments
    seq_source = "sub_sequence" if parent_code else "sequence"
    index = next((i for i, s in enumerate(segs) if s["source"] == seq_source), None)
    if index is None:
        raise SchemeNotFound(f"scheme {scheme.scheme_id} has no {seq_source} segment")
    if parent_code:
        prefix = parent_code[: sum(s["length"] for s in segs[:index])]
    else:
        parts = []
        for seg in segs[:index]:
            parts.append(_segment_value(seg, values))
        prefix = "".join(parts)
    sequence = await _next_sequence(session, prefix, segs[index]["length"])
    tail = "".join(
        "0" * s["length"] if s["source"] == "sub_sequence" else _segment_value(s, values) for s in segs[index + 1 :]
    )
    code = f"{prefix}{sequence:0{segs[index]['length']}d}{tail}"
    errors = validators.run(code, scheme_dict(scheme))
    if errors:
        raise InvalidField("code", f"generated code {code} fails its scheme: {'; '.join(errors)}")
    await _insert(session, code, target, prefix, sequence, scheme, record_id)
    return code


def _segment_value(seg: dict[str, Any], values: dict[str, str]) -> str:
    source = seg["source"]
    if source == "constant":
        raw = seg.get("value") or ""
    elif source == "item_type":
        raw = (seg.get("map") or {}).get(values.get("item_type", ""), "")
    else:
        raw = values.get(source, "")
    if len(raw) != seg["length"]:
        raise InvalidField(seg["name"], f"cannot build code segment {seg['name']!r} of {seg['length']} characters")
    return raw


async def retire(session: AsyncSession, code: str) -> None:
    """Mark a code retired (its record abolished); the row stays so the code is never reused."""
    await session.execute(
        CodeAllocation.__table__.update().where(CodeAllocation.code == code).values(retired_at=utc_now())
    )
