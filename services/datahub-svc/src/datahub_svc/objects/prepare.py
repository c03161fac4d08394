"""Cleaning supervised-object records into rows ready for COPY (pure: no database, picklable).

One path serves API pushes, batch files and events: `clean_object` validates and standardises a
record; `clean_cells` is the same function for CSV cells that are already clean (the common case in
bulk files), which skips the general machinery and falls back to `clean_object` for any value it
does not recognise as clean, so both give identical rows. `prepare_chunk` turns a chunk of records
into the text lines a COPY into `supervised_objects` and `outbox_events` reads; batch imports run it
in worker processes.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from operator import mul
from typing import Any, cast

import orjson
from pydantic import ValidationError

from datahub_svc.cleaning.standardise import (
    CleaningError,
    clean_region_code,
    clean_resident_id,
    clean_text,
    clean_uscc,
    mask_phone,
    mask_resident_id,
    parse_amount,
    parse_date,
    parse_phone,
    tsvector_literal,
)
from datahub_svc.ingestion.files import Chunk, chunk_records
from datahub_svc.objects.schemas import ATTRIBUTE_MODELS, LegalPersonAttributes
from datahub_svc.quality.rules import RULES_BY_ID
from supervision_schemas.datahub import DATAHUB_OBJECTS_TOPIC, DATAHUB_QUALITY_TOPIC, ObjectKind

SOURCE = "/datahub-svc"
OBJECT_CREATED = "gov.supervision.datahub.object.created.v1"
OBJECT_CHANGED = "gov.supervision.datahub.object.changed.v1"

KIND_ALIASES: dict[str, ObjectKind] = {k.value: k for k in ObjectKind} | {
    "法人": ObjectKind.LEGAL_PERSON,
    "企业": ObjectKind.LEGAL_PERSON,
    "特定自然人": ObjectKind.NATURAL_PERSON,
    "自然人": ObjectKind.NATURAL_PERSON,
    "设施设备": ObjectKind.EQUIPMENT,
    "设备": ObjectKind.EQUIPMENT,
    "特定产品": ObjectKind.PRODUCT,
    "产品": ObjectKind.PRODUCT,
    "场地场所": ObjectKind.SITE,
    "场所": ObjectKind.SITE,
    "项目工程": ObjectKind.PROJECT,
    "项目": ObjectKind.PROJECT,
}

# Column headers providers use, mapped to our field names (English names map to themselves).
HEADER_ALIASES: dict[str, str] = {
    "对象类型": "kind",
    "类型": "kind",
    "名称": "name",
    "企业名称": "name",
    "单位名称": "name",
    "姓名": "name",
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "责任单位信用代码": "owner_uscc",
    "编码": "code",
    "设备注册代码": "code",
    "批准文号": "code",
    "项目代码": "code",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "法定代表人": "legal_representative",
    "地址": "address",
    "住所": "address",
    "注册地址": "address",
    "经营地址": "address",
    "行政区划代码": "region_code",
    "区划代码": "region_code",
    "监管部门id": "department_id",
    "监管部门": "department_name",
    "联系电话": "phone",
    "电话": "phone",
    "手机": "phone",
    "行业代码": "industry_code",
    "业务特征": "business_traits",
    "监管重点": "supervision_focus",
    "信用等级": "credit_class",
    "信用风险分类": "credit_class",
    "企业类型": "entity_type",
    "注册资本": "registered_capital",
    "成立日期": "established_on",
    "经营范围": "business_scope",
    "登记机关": "registration_authority",
    "经营状态": "operating_status",
}
BASE_FIELDS = (
    "kind",
    "name",
    "uscc",
    "owner_uscc",
    "code",
    "id_number",
    "legal_representative",
    "address",
    "region_code",
    "department_id",
    "department_name",
    "phone",
    "industry_code",
    "business_traits",
    "supervision_focus",
    "credit_class",
    "attributes",
)
ATTRIBUTE_FIELDS: frozenset[str] = frozenset(f for m in ATTRIBUTE_MODELS.values() for f in m.model_fields)
KNOWN_FIELDS = frozenset(BASE_FIELDS) | ATTRIBUTE_FIELDS
_INDUSTRY_RE = re.compile(r"^[A-T](\d{2,4})?$")
_TAG_SPLIT_RE = re.compile(r"[|;；,，、]")
_CREDIT_CLASSES = frozenset("ABCDE")

# The columns of a COPY into supervised_objects (and of the staging table for existing objects);
# a CleanRow is the same tuple with the source row number in place of the id.
COPY_COLUMNS = (
    "id",
    "identity_key",
    "kind",
    "name",
    "uscc",
    "owner_uscc",
    "code",
    "id_number",
    "id_number_masked",
    "legal_representative",
    "address",
    "region_code",
    "department_id",
    "department_name",
    "phone",
    "phone_masked",
    "industry_code",
    "business_traits",
    "supervision_focus",
    "credit_class",
    "attributes",
    "search_vector",
    "source",
    "provider_department_id",
)
OUTBOX_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "payload")

RowError = tuple[int, str, str]
ScopeCheck = Callable[[str, uuid.UUID | None], str | None]
CleanRow = tuple[Any, ...]
StageRow = CleanRow


@dataclass(frozen=True)
class CleanContext:
    """What every record of one request or file shares (picklable, for worker processes)."""

    default_kind: ObjectKind | None = None
    source: str | None = None
    scope_check: ScopeCheck | None = None
    provider_department_id: str | None = None


def header_field(header: str) -> str:
    """Our field name for a provider's column header (unknown headers come back normalised)."""
    name = (clean_text(header) or "").replace(" ", "_")
    return HEADER_ALIASES.get(name, HEADER_ALIASES.get(name.lower(), name.lower()))


def _tags(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _TAG_SPLIT_RE.split(str(value))
    tags = []
    for item in items:
        tag = clean_text(item, max_length=50)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def identity_key(
    kind: ObjectKind, *, uscc: str | None, id_number: str | None, code: str | None, name: str, region: str
) -> str:
    """What makes two records the same object: credit code, resident ID (hashed) or the kind's code."""
    if kind is ObjectKind.LEGAL_PERSON:
        return f"uscc:{uscc}" if uscc else f"name:{region}:{name}"
    if kind is ObjectKind.NATURAL_PERSON:
        return "rid:" + hashlib.sha256(str(id_number).encode()).hexdigest()
    return f"{kind.value}:{code}"


def search_vector(name: str, uscc: str | None, code: str | None, legal_representative: str | None) -> str:
    """The full-text index entry of an object: name, codes and legal representative (tsvector literal)."""
    return tsvector_literal(name, uscc, code, legal_representative)


def clean_object(
    raw: Mapping[str, Any],
    row: int,
    *,
    default_kind: ObjectKind | None = None,
    source: str | None = None,
    scope_check: ScopeCheck | None = None,
    provider_department_id: str | None = None,
) -> tuple[CleanRow | None, list[RowError]]:
    """Clean and validate one record into a row, or return the reasons (row, field, reason) it is refused."""
    errors: list[RowError] = []

    def get(name: str, fn: Callable[[object], Any]) -> Any:
        try:
            return fn(raw.get(name))
        except CleaningError as exc:
            errors.append((row, name, exc.reason))
            return None

    kind_text = clean_text(raw.get("kind"))
    kind = KIND_ALIASES.get(kind_text.lower() if kind_text else "", default_kind) if kind_text else default_kind
    if kind is None:
        errors.append((row, "kind", "missing or unknown kind" + (f" {kind_text!r}" if kind_text else "")))
    name = get("name", lambda v: clean_text(v, max_length=300))
    if name is None and not any(e[1] == "name" for e in errors):
        errors.append((row, "name", "required"))
    uscc = get("uscc", clean_uscc)
    owner_uscc = get("owner_uscc", clean_uscc)
    code = get("code", lambda v: clean_text(v, max_length=100))
    id_number = get("id_number", clean_resident_id)
    legal_rep = get("legal_representative", lambda v: clean_text(v, max_length=100))
    address = get("address", lambda v: clean_text(v, max_length=500))
    region = get("region_code", clean_region_code)
    if region is None and not any(e[1] == "region_code" for e in errors):
        errors.append((row, "region_code", "required"))
    department_id: uuid.UUID | None = None
    dept_raw = raw.get("department_id")
    if isinstance(dept_raw, uuid.UUID):
        department_id = dept_raw
    elif (dept_text := clean_text(dept_raw)) is not None:
        try:
            department_id = uuid.UUID(dept_text)
        except ValueError:
            errors.append((row, "department_id", "not a UUID"))
    department_name = get("department_name", lambda v: clean_text(v, max_length=200))
    phone = get("phone", parse_phone)
    industry = get("industry_code", lambda v: clean_text(v, max_length=10))
    if industry is not None:
        industry = industry.upper()
        if not _INDUSTRY_RE.match(industry):
            errors.append((row, "industry_code", "not a GB/T 4754 industry code (a letter A-T and 2-4 digits)"))
    traits = get("business_traits", _tags)
    focus = get("supervision_focus", _tags)
    credit = get("credit_class", clean_text)
    if credit is not None:
        credit = credit.upper()
        if credit not in _CREDIT_CLASSES:
            errors.append((row, "credit_class", "credit class must be one of A, B, C, D, E"))

    attributes_json = "{}"
    if kind is not None:
        model = ATTRIBUTE_MODELS[kind]
        nested = raw.get("attributes")
        values = dict(nested) if isinstance(nested, Mapping) else {}
        for name_ in model.model_fields:
            value = raw.get(name_)
            if value not in (None, ""):
                values[name_] = value
        if values:
            try:
                attributes_json = model.model_validate(values).model_dump_json(exclude_none=True)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(p) for p in err["loc"]) or "attributes"
                    errors.append((row, loc, err["msg"]))
        if kind is ObjectKind.NATURAL_PERSON and id_number is None and not any(e[1] == "id_number" for e in errors):
            errors.append((row, "id_number", "required for a natural person"))
        if kind not in (ObjectKind.LEGAL_PERSON, ObjectKind.NATURAL_PERSON) and code is None:
            errors.append((row, "code", f"required for {kind.value} (its register code or approval number)"))
        if kind is not ObjectKind.LEGAL_PERSON and uscc is not None and not any(e[1] == "uscc" for e in errors):
            owner_uscc = owner_uscc or uscc
            uscc = None
    if region is not None and scope_check is not None and (denied := scope_check(region, department_id)):
        errors.append((row, "region_code", denied))
    if errors:
        return None, errors
    assert kind is not None
    assert name is not None
    assert region is not None
    key = identity_key(kind, uscc=uscc, id_number=id_number, code=code, name=name, region=region)
    return (
        row,
        key,
        kind.value,
        name,
        uscc,
        owner_uscc,
        code,
        id_number,
        mask_resident_id(id_number),
        legal_rep,
        address,
        region,
        str(department_id) if department_id else None,
        department_name,
        phone,
        mask_phone(phone),
        industry,
        traits or [],
        focus or [],
        credit,
        attributes_json,
        search_vector(name, uscc, code, legal_rep),
        source,
        provider_department_id,
    ), []


# --- The fast path for clean CSV cells -------------------------------------------------------------

_USCC_FAST = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}").fullmatch
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}.__getitem__
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE = re.compile(r"1[3-9]\d{9}").fullmatch
_CREDIT_FAST = {c: c for c in "ABCDE"} | {c.lower(): c for c in "ABCDE"}
_LEGAL_TEXT_LIMITS = {
    "entity_type": 200,
    "business_scope": 4000,
    "registration_authority": 200,
    "operating_status": 200,
}
# Per-process caches of values that repeat across rows (regions, industries, dates, amounts).
_REGIONS: dict[str, str] = {}
_INDUSTRIES: dict[str, str] = {}
_DATES: dict[str, str] = {}
_AMOUNTS: dict[str, str] = {}
_CACHE_LIMIT = 100_000


def _plain(value: str) -> bool:
    """Whether clean_text returns this (non-empty) text unchanged: printable, NFKC, single inner spaces."""
    return (
        value.isprintable()
        and "  " not in value
        and value.strip() == value
        and (value.isascii() or unicodedata.is_normalized("NFKC", value))
    )


def _uscc_ok(value: str) -> bool:
    if len(value) != 18 or not _USCC_FAST(value):
        return False
    total = sum(map(mul, map(_USCC_VALUE, value[:17]), _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == value[17]


def _cached(cache: dict[str, str], value: str, fn: Callable[[str], str]) -> str:
    hit = cache.get(value)
    if hit is None:
        hit = fn(value)  # raises CleaningError for a bad value (never cached)
        if len(cache) < _CACHE_LIMIT:
            cache[value] = hit
    return hit


def _region(value: str) -> str:
    result = clean_region_code(value)
    assert result is not None
    return result


def _industry(value: str) -> str:
    upper = value.upper()
    if len(value) > 10 or not _plain(value) or not _INDUSTRY_RE.match(upper):
        raise CleaningError("bad industry code")
    return upper


_DATE_FAST = re.compile(r"(\d{4})(?:年(\d{1,2})月(\d{1,2})日|-(\d{2})-(\d{2}))").fullmatch
_WAN_FAST = re.compile(r"(\d{1,8})万元?").fullmatch
_YUAN_FAST = re.compile(r"(\d{1,12})元?").fullmatch


def _date(value: str) -> str:
    """parse_date for the two common forms without its general machinery (anything else goes through it)."""
    if m := _DATE_FAST(value):
        year = int(m[1])
        if 1900 <= year <= 2100:
            try:
                return date(year, int(m[2] or m[4]), int(m[3] or m[5])).isoformat()
            except ValueError:
                pass
    parsed = parse_date(value)
    assert parsed is not None
    return parsed.isoformat()


def _amount(value: str) -> str:
    """parse_amount for whole 万元 and 元 amounts (its output: yuan with two decimals)."""
    if m := _WAN_FAST(value):
        return f"{int(m[1]) * 10_000}.00"
    if m := _YUAN_FAST(value):
        return f"{int(m[1])}.00"
    parsed = parse_amount(value)
    assert parsed is not None
    return str(parsed)


@dataclass(frozen=True)
class ColumnIndex:
    """Where each known field is among a file's columns; an absent field points at an extra empty cell."""

    columns: tuple[str, ...]
    width: int
    kind: int
    name: int
    uscc: int
    owner_uscc: int
    code: int
    id_number: int
    legal_representative: int
    address: int
    region_code: int
    department_id: int
    department_name: int
    phone: int
    industry_code: int
    business_traits: int
    supervision_focus: int
    credit_class: int
    attributes: int
    legal_attributes: tuple[tuple[str, int], ...] = ()
    other_attributes: dict[ObjectKind, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, columns: Sequence[str]) -> ColumnIndex:
        # A later column of the same field wins, as it does when the cells become a dict.
        positions = {name: i for i, name in enumerate(columns)}
        width = len(columns)
        legal = tuple((f, positions[f]) for f in LegalPersonAttributes.model_fields if f in positions)
        other: dict[ObjectKind, tuple[int, ...]] = {
            kind: tuple(positions[f] for f in model.model_fields if f in positions)
            for kind, model in ATTRIBUTE_MODELS.items()
            if kind is not ObjectKind.LEGAL_PERSON
        }
        base = {f: positions.get(f, width) for f in BASE_FIELDS}
        return cls(tuple(columns), width, **base, legal_attributes=legal, other_attributes=other)

    def at(self, name: str) -> int:
        return self.columns.index(name) if name in self.columns else -1


_EXTRA = [""]


def clean_cells(cells: Sequence[str], ix: ColumnIndex, row: int, ctx: CleanContext) -> CleanRow | None:
    """`clean_object` for CSV cells that are already clean; None when the general path must decide."""
    c = [*cells, *_EXTRA]
    if c[ix.attributes]:
        return None
    raw_kind = c[ix.kind]
    if raw_kind:
        kind = KIND_ALIASES.get(raw_kind.lower())
        if kind is None or not _plain(raw_kind):
            return None
    else:
        kind = ctx.default_kind
        if kind is None:
            return None
    name = c[ix.name]
    if not name or len(name) > 300 or not _plain(name):
        return None
    uscc = c[ix.uscc] or None
    if uscc is not None and not _uscc_ok(uscc):
        return None
    owner_uscc = c[ix.owner_uscc] or None
    if owner_uscc is not None and not _uscc_ok(owner_uscc):
        return None
    code = c[ix.code] or None
    if code is not None and (len(code) > 100 or not _plain(code)):
        return None
    legal_rep = c[ix.legal_representative] or None
    if legal_rep is not None and (len(legal_rep) > 100 or not _plain(legal_rep)):
        return None
    address = c[ix.address] or None
    if address is not None and (len(address) > 500 or not _plain(address)):
        return None
    raw_region = c[ix.region_code]
    if not raw_region:
        return None
    department_name = c[ix.department_name] or None
    if department_name is not None and (len(department_name) > 200 or not _plain(department_name)):
        return None
    id_number = None
    department_id: uuid.UUID | None = None
    try:
        region = _cached(_REGIONS, raw_region, _region)
        if raw_id := c[ix.id_number]:
            id_number = clean_resident_id(raw_id)
        if raw_dept := c[ix.department_id]:
            if not _plain(raw_dept):
                return None
            department_id = uuid.UUID(raw_dept)
        phone = None
        if raw_phone := c[ix.phone]:
            phone = raw_phone if _MOBILE(raw_phone) else parse_phone(raw_phone)
        industry = _cached(_INDUSTRIES, raw, _industry) if (raw := c[ix.industry_code]) else None
        traits = _tags(raw) if (raw := c[ix.business_traits]) else []
        focus = _tags(raw) if (raw := c[ix.supervision_focus]) else []
        credit = None
        if raw_credit := c[ix.credit_class]:
            credit = _CREDIT_FAST.get(raw_credit)
            if credit is None:
                return None
        attributes = "{}"
        if kind is ObjectKind.LEGAL_PERSON:
            values: dict[str, str] = {}
            for name_, i in ix.legal_attributes:
                value = c[i]
                if not value:
                    continue
                if name_ == "registered_capital":
                    values[name_] = _cached(_AMOUNTS, value, _amount)
                elif name_ == "established_on":
                    values[name_] = _cached(_DATES, value, _date)
                elif len(value) <= _LEGAL_TEXT_LIMITS[name_] and _plain(value):
                    values[name_] = value
                else:
                    return None
            if values:
                attributes = orjson.dumps(values).decode()
        elif any(c[i] for i in ix.other_attributes[kind]):
            return None
    except (CleaningError, ValueError):
        return None
    if kind is not ObjectKind.LEGAL_PERSON:
        if kind is ObjectKind.NATURAL_PERSON:
            if id_number is None:
                return None
        elif code is None:
            return None
        if uscc is not None:
            owner_uscc = owner_uscc or uscc
            uscc = None
    if ctx.scope_check is not None and ctx.scope_check(region, department_id):
        return None
    if kind is ObjectKind.LEGAL_PERSON:
        key = f"uscc:{uscc}" if uscc else f"name:{region}:{name}"
    else:
        key = identity_key(kind, uscc=uscc, id_number=id_number, code=code, name=name, region=region)
    return (
        row,
        key,
        kind.value,
        name,
        uscc,
        owner_uscc,
        code,
        id_number,
        mask_resident_id(id_number) if id_number else None,
        legal_rep,
        address,
        region,
        str(department_id) if department_id else None,
        department_name,
        phone,
        mask_phone(phone) if phone else None,
        industry,
        traits,
        focus,
        credit,
        attributes,
        tsvector_literal(name, uscc, code, legal_rep),
        ctx.source,
        ctx.provider_department_id,
    )


def clean_record(
    values: Sequence[str] | Mapping[str, Any], ix: ColumnIndex | None, row: int, ctx: CleanContext
) -> tuple[CleanRow | None, list[RowError]]:
    """Clean one record: CSV cells (with their column index) through the fast path when they allow it."""
    if ix is not None and not isinstance(values, Mapping):
        fast = clean_cells(values, ix, row, ctx)
        if fast is not None:
            return fast, []
        values = dict(zip(ix.columns, values, strict=True))
    return clean_object(
        cast(Mapping[str, Any], values),  # cells always come with a column index (files have a header)
        row,
        default_kind=ctx.default_kind,
        source=ctx.source,
        scope_check=ctx.scope_check,
        provider_department_id=ctx.provider_department_id,
    )


# --- COPY text format ----------------------------------------------------------------------------

_NULL = "\x00N"  # never in cleaned text (control characters are removed), replaced by \N below


def _pg_array(items: Sequence[str]) -> str:
    if not items:
        return "{}"
    return "{" + ",".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in items) + "}"


def copy_line(object_id: str, r: CleanRow) -> str:
    """One line of a text-format COPY into `COPY_COLUMNS` (clean values are never empty strings)."""
    z = "\x00"
    line = (
        f"{object_id}\t{r[1]}\t{r[2]}\t{r[3]}\t{r[4] or z}\t{r[5] or z}\t{r[6] or z}\t{r[7] or z}\t{r[8] or z}\t"
        f"{r[9] or z}\t{r[10] or z}\t{r[11]}\t{r[12] or z}\t{r[13] or z}\t{r[14] or z}\t{r[15] or z}\t"
        f"{r[16] or z}\t{_pg_array(r[17])}\t{_pg_array(r[18])}\t{r[19] or z}\t{r[20]}\t{r[21]}\t{r[22] or z}\t"
        f"{r[23] or z}"
    )
    if "\\" in line:
        line = line.replace("\\", "\\\\")
    return line.replace(z, "\\N")


_VARIANT = "89ab"


def _new_ids(count: int) -> list[str]:
    """Version 4 UUIDs as text: 90 random bits from the system's random source per call, then a counter.

    Unique as long as two calls never draw the same 90 bits (as likely as a UUID collision).
    """
    h = os.urandom(12).hex()
    head = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{_VARIANT[int(h[15], 16) & 3]}{h[16:19]}-{h[19:23]}"
    return [f"{head}{i:08x}" for i in range(count)]


_HEADERS = (
    '{"ce_id": "%s", "ce_source": "' + SOURCE + '", "ce_type": "%s", "ce_specversion": "1.0", "ce_time": "%s", '
    '"ce_subject": "%s", "content-type": "application/json"}'
)


def _headers(event_id: str, event_type: str, subject: str, now: str, request_id: str | None) -> str:
    """The outbox headers of an event (JSON, as COPY text); ids, types and times need no escaping."""
    if request_id:
        headers = {
            "ce_id": event_id,
            "ce_source": SOURCE,
            "ce_type": event_type,
            "ce_specversion": "1.0",
            "ce_time": now,
            "ce_subject": subject,
            "content-type": "application/json",
            "x-request-id": request_id,
        }
        return orjson.dumps(headers).decode().replace("\\", "\\\\")
    return _HEADERS % (event_id, event_type, now, subject)


def created_event_line(event_id: str, object_id: str, row: CleanRow, now: str, request_id: str | None = None) -> str:
    """The outbox row (text COPY line) of ObjectCreated for a new object, as `outbox.outbox_row` would write it."""
    payload = orjson.dumps(
        {
            "object_id": object_id,
            "kind": row[2],
            "name": row[3],
            "uscc": row[4],
            "owner_uscc": row[5],
            "code": row[6],
            "region_code": row[11],
            "department_id": row[12],
            "industry_code": row[16],
            "credit_class": row[19],
            "version": 1,
            "changed_at": now,
        }
    )
    headers = _headers(event_id, OBJECT_CREATED, object_id, now, request_id)
    return f"{event_id}\t{OBJECT_CREATED}\t{DATAHUB_OBJECTS_TOPIC}\t{object_id}\t{headers}\t\\\\x{payload.hex()}"


# The quality rules of the objects library (quality/rules.py, same ids) evaluated on a clean row, so
# that a new object's errors are found while cleaning; the SQL forms run on updates and scans, and a
# test keeps both in agreement.
_NOT_LEGAL = frozenset({"equipment", "product", "site", "project"})
OBJECT_ROW_RULES: dict[str, Callable[[CleanRow], bool]] = {
    "objects.completeness.uscc": lambda r: r[2] == "legal_person" and r[4] is None,
    "objects.completeness.legal_representative": lambda r: r[2] == "legal_person" and r[9] is None,
    "objects.completeness.address": lambda r: r[2] in ("legal_person", "site") and r[10] is None,
    "objects.completeness.industry_code": lambda r: r[2] == "legal_person" and r[16] is None,
    "objects.completeness.owner_uscc": lambda r: r[2] in _NOT_LEGAL and r[5] is None,
    "objects.validity.uscc_region": lambda r: r[4] is not None and "11" <= r[4][2:4] <= "82" and r[4][2:4] != r[11][:2],
}
QUALITY_COLUMNS = (
    "id",
    "library",
    "rule",
    "dimension",
    "field",
    "reason",
    "record_id",
    "record_ref",
    "provider_department_id",
    "region_code",
    "source",
)
QUALITY_RAISED = "gov.supervision.datahub.quality.error.raised.v1"


def _copy_text(values: Sequence[str | None]) -> str:
    line = "\t".join([_NULL if v is None else v for v in values])
    if "\\" in line:
        line = line.replace("\\", "\\\\")
    return line.replace(_NULL, "\\N")


def _quality_lines(object_id: str, row: CleanRow, now: str, request_id: str | None) -> list[tuple[str, str]]:
    """(quality_errors line, outbox line) of each rule a new object breaks."""
    out = []
    for rule_id, broken in OBJECT_ROW_RULES.items():
        if not broken(row):
            continue
        rule = RULES_BY_ID[rule_id]
        error_id, event_id = _new_ids(2)
        department, region = row[23], row[11]
        out.append(
            (
                _copy_text(
                    (
                        error_id,
                        "objects",
                        rule.id,
                        rule.dimension.value,
                        rule.field,
                        rule.description,
                        object_id,
                        object_id,
                        department,
                        region,
                        row[22],
                    )
                ),
                f"{event_id}\t{QUALITY_RAISED}\t{DATAHUB_QUALITY_TOPIC}\t{department or region}\t"
                f"{_headers(event_id, QUALITY_RAISED, department or region, now, request_id)}\t\\\\x"
                + orjson.dumps(
                    {
                        "error_id": error_id,
                        "library": "objects",
                        "rule": rule.id,
                        "dimension": rule.dimension.value,
                        "field": rule.field,
                        "reason": rule.description,
                        "record_ref": object_id,
                        "department_id": department,
                        "region_code": region,
                        "raised_at": now,
                    }
                ).hex(),
            )
        )
    return out


@dataclass
class Prepared:
    """Clean rows of one chunk, last row per object only, as COPY data (new ids pre-assigned).

    `lines` and `events` are the text-format COPY data of all rows, line i ending at `line_ends[i]`
    (`event_ends[i]`), so that the rows of objects already stored can be left out cheaply.
    `quality` holds (row index, quality_errors line, outbox line) for the rules new objects break.
    """

    rows: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    lines: bytes = b""
    line_ends: list[int] = field(default_factory=list)
    events: bytes = b""
    event_ends: list[int] = field(default_factory=list)
    quality: list[tuple[int, str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def select(self, indexes: Sequence[int], *, events: bool = False) -> bytes:
        """COPY data of these rows (object lines, or their ObjectCreated events)."""
        data, ends = (self.events, self.event_ends) if events else (self.lines, self.line_ends)
        if len(indexes) == len(ends):
            return data
        return b"".join(data[(ends[i - 1] if i else 0) : ends[i]] for i in indexes)


def prepare_rows(rows: Sequence[CleanRow], now: str, request_id: str | None = None) -> Prepared:
    """COPY data for clean rows; of rows for the same object only the last is kept."""
    last = {row[1]: i for i, row in enumerate(rows)}
    keep = rows if len(last) == len(rows) else [rows[i] for i in sorted(last.values())]
    n = len(keep)
    ids = _new_ids(2 * n)
    out = Prepared()
    out.rows = [r[0] for r in keep]
    out.keys = [r[1] for r in keep]
    out.ids = ids[:n]
    lines = [(copy_line(i, r) + "\n").encode() for i, r in zip(out.ids, keep, strict=True)]
    events = [
        (created_event_line(e, i, r, now, request_id) + "\n").encode()
        for e, i, r in zip(ids[n:], out.ids, keep, strict=True)
    ]
    out.lines, out.line_ends = b"".join(lines), list(accumulate(map(len, lines)))
    out.events, out.event_ends = b"".join(events), list(accumulate(map(len, events)))
    for index, (object_id, row) in enumerate(zip(out.ids, keep, strict=True)):
        for quality_line, event_line in _quality_lines(object_id, row, now, request_id):
            out.quality.append((index, quality_line, event_line))
    return out


def subject_key(name: str) -> str:
    """How a refused row and a later, corrected record of the same object are recognised: the clean name."""
    return f"name:{name}"


def _refused_subject(values: Sequence[str] | Mapping[str, Any], ix: ColumnIndex | None) -> str | None:
    if isinstance(values, Mapping):
        raw = values.get("name")
    elif ix is not None and (i := ix.at("name")) >= 0 and i < len(values):
        raw = values[i]
    else:
        return None
    try:
        name = clean_text(raw, max_length=300)
    except CleaningError:
        return None
    return subject_key(name) if name else None


@dataclass
class ChunkResult:
    """What a worker returns for a chunk of a file: prepared rows, refusals (and their subjects) and counts."""

    prepared: Prepared
    errors: list[RowError]
    read: int
    accepted: int
    rejected: int
    refused_subjects: dict[int, str] = field(default_factory=dict)


def prepare_chunk(
    ctx: CleanContext,
    columns: Sequence[str] | None,
    records: Sequence[tuple[int, Sequence[str] | Mapping[str, Any] | None, Sequence[RowError]]],
    now: str,
) -> ChunkResult:
    """Clean one chunk of a file (records are (row, values, reading errors)); runs in a worker process."""
    ix = ColumnIndex.of(columns) if columns else None
    rows: list[CleanRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    subjects: dict[int, str] = {}
    rejected = 0
    for row_number, values, read_errors in records:
        if values is None:
            errors.extend(read_errors)
            rejected += 1
            continue
        clean, row_errors = clean_record(values, ix, row_number, ctx)
        if clean is None:
            errors.extend(row_errors)
            rejected += 1
            if (subject := _refused_subject(values, ix)) is not None:
                subjects[row_number] = subject
            continue
        if (first := seen.get(clean[1])) is not None:
            errors.append((row_number, "identity", f"same object as row {first}; the later row is applied"))
        seen[clean[1]] = row_number
        rows.append(clean)
    return ChunkResult(prepare_rows(rows, now), errors, len(records), len(rows), rejected, subjects)


_IN_WORKER = [False]  # set in the processes of the cleaning pool


def init_worker() -> None:
    """Set up a process that cleans chunks of files (the pool's initializer).

    A chunk makes a few hundred thousand tuples and lists that live until the chunk is done and
    hold no reference cycles; the cyclic collector would traverse them again and again (and with
    them every object of the imported libraries), about a tenth of the worker's CPU. The modules'
    objects are moved out of its sight here, and `prepare_file_chunk` pauses it while it cleans a
    chunk in a worker: whatever the chunk leaves behind is collected as usual afterwards.
    """
    gc.collect()
    gc.freeze()
    _IN_WORKER[0] = True


def prepare_file_chunk(ctx: CleanContext, columns: Sequence[str] | None, chunk: Chunk, now: str) -> ChunkResult:
    """`prepare_chunk` for a chunk of a file as the reader cuts it (blocks are split into records here)."""
    if not _IN_WORKER[0] or not gc.isenabled():  # a thread of the service: the collector is left alone
        return prepare_chunk(ctx, columns, chunk_records(chunk), now)
    gc.disable()
    try:
        return prepare_chunk(ctx, columns, chunk_records(chunk), now)
    finally:
        gc.enable()
